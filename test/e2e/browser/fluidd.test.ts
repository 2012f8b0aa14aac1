// Fluidd 1.37.4's release build in headless Chromium, served by moonstate from `[server]
// web_path` on a Moonraker user's default config, driven as a user drives it: the dashboard
// connects, a slicer's file is uploaded on the jobs page, printed from its menu (thumbnail
// shown), watched on the dashboard, paused, resumed and cancelled from the status card, and
// printer.cfg is edited and saved in the editor. Nothing may fail on the way: no error
// notification, no failed request, no console error; the server's print_stats follows each click.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserSkipReason, openBrowser, screenshot, startUserServer } from '../../helpers/browserSession.js';
import { sample } from '../../helpers/gcodeSamples.js';
import { until } from '../../helpers/cliProcess.js';

const FILE = 'prusaslicer-2.7.4_plant-sign.gcode';
const BIG_THUMB = '.thumbs/prusaslicer-2.7.4_plant-sign-220x124.png';
/** The user's own printer.cfg: the virtual printer must leave it alone, the editor must save it. */
const PRINTER_CFG = '# my printer\n[printer]\nkinematics: cartesian\n';

const MDI_CONTENT_SAVE_OUTLINE = 'M17 3H5C3.89 3 3 3.9 3 5V19C3 20.1 3.89 21 5 21H19C20.1 21 21 20.1 21 19V7L17 3M19 19H5V5H16.17L19 7.83V19M12 12C10.34 12 9 13.34 9 15S10.34 18 12 18 15 16.66 15 15 13.66 12 12 12M6 6H15V10H6V6Z';
const MDI_PLUS = 'M19,13H13V19H11V13H5V11H11V5H13V11H19V13Z';

/** Fluidd's error notifications: a red snackbar. */
const errorSnackbars = (page: Page) => page.locator('.v-snack__wrapper.error:visible');

test('Fluidd in Chromium: connect, upload, print with thumbnail and progress, pause, resume, cancel, edit printer.cfg', { skip: browserSkipReason('fluidd') }, async (t) => {
  const srv = await startUserServer(t, 'fluidd', PRINTER_CFG);
  // Fluidd tries the page's origin and then port 7125 unless config.json names the server;
  // the copy names it, as a user serving Fluidd elsewhere would.
  const fluiddConfig = join(srv.home, 'fluidd', 'config.json');
  writeFileSync(fluiddConfig, JSON.stringify({ ...JSON.parse(readFileSync(fluiddConfig, 'utf8')), endpoints: [srv.base] }));
  const { page, problems, orProblem } = await openBrowser(t, () => false, (reply) => reply.error?.code === -32601 && reply.error.message === 'Namespace fluidd not found');
  const images: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 200 && r.request().resourceType() === 'image') images.push(r.url());
  });
  const noProblems = (step: string) => assert.deepEqual(problems, [], `after ${step}`);
  const noErrorNotice = async (step: string) => assert.deepEqual(await errorSnackbars(page).allInnerTexts(), [], `error notification after ${step}`);

  await page.goto(srv.base + '/');
  // Connected and ready: the status card says the printer is idle and the thermals list the
  // heaters (with the macros the virtual printer ships, Fluidd shows no Klippy banner at all).
  await orProblem(page.getByText(/^\s*idle\s*$/i).waitFor());
  await orProblem(page.getByText('Heater Bed').waitFor());
  await noErrorNotice('connecting');
  noProblems('connecting');

  // Upload on the jobs page: the file input its + menu's "Upload Files" opens.
  await page.goto(srv.base + '/#/jobs');
  await page.locator(`button:has(path[d="${MDI_PLUS}"])`).click();
  const uploaded = page.waitForResponse((r) => r.url().includes('/server/files/upload') && r.request().method() === 'POST');
  await page.locator('input[type=file][multiple]').setInputFiles(sample(FILE));
  await page.keyboard.press('Escape');
  const up = await orProblem(uploaded);
  assert.equal(up.status(), 201, `upload: ${up.request().url()} -> ${await up.text()}`);
  const row = page.locator('tr', { hasText: FILE });
  await row.waitFor();
  await noErrorNotice('uploading');
  noProblems('uploading');

  // Its menu shows the big thumbnail; Print starts it.
  await row.click();
  const menu = page.locator('.menuable__content__active');
  await menu.locator(`img[src*="${BIG_THUMB}"]`).waitFor();
  await menu.getByText('Print', { exact: true }).click();
  const printing = await srv.waitPrintState('printing');
  assert.equal(printing.filename, FILE);

  // The dashboard: progress rises, the thumbnail shows. The printer heats first; the job's
  // moves have begun once print_duration counts.
  await page.goto(srv.base + '/#/');
  await until('moves printing', async () => ((await srv.printStats()).print_duration > 0 ? true : undefined), 30_000);
  await page.getByText(/\b[1-9]\d?(\.\d+)? ?%/).first().waitFor();
  await page.locator(`img[src*="${BIG_THUMB}"]`).first().waitFor();
  assert.ok(images.some((u) => u.includes(BIG_THUMB)), `thumbnail loaded: ${images.join(', ')}`);
  await screenshot(page, 'fluidd');
  await noErrorNotice('printing');
  noProblems('printing');

  // Pause, resume, cancel from the status card; the server follows each.
  await page.getByRole('button', { name: /^pause$/i }).first().click();
  await srv.waitPrintState('paused');
  await page.getByRole('button', { name: /^resume$/i }).first().click();
  await srv.waitPrintState('printing');
  await page.getByRole('button', { name: /^cancel$/i }).first().click();
  // Fluidd asks first.
  await page.locator('.v-dialog--active').getByRole('button', { name: /^yes$/i }).click();
  const cancelled = await srv.waitPrintState('cancelled');
  assert.equal(cancelled.filename, FILE);
  await noErrorNotice('cancelling');
  noProblems('pausing, resuming and cancelling');

  // The editor: open printer.cfg from the configuration page, add a line, save.
  await page.locator('a[href$="#/configure"]').first().click();
  await page.locator('tr', { hasText: 'printer.cfg' }).first().click();
  // Typing before the file is in the editor would go to the page's shortcuts.
  await page.locator('.monaco-editor .view-lines', { hasText: 'my printer' }).waitFor();
  await page.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n# edited in Fluidd\n');
  const saved = page.waitForResponse((r) => r.url().includes('/server/files/upload') && r.request().method() === 'POST');
  await page.locator(`.v-dialog--active button:has(path[d="${MDI_CONTENT_SAVE_OUTLINE}"])`).click();
  assert.equal((await orProblem(saved)).status(), 201);
  await until('printer.cfg saved', async () => (readFileSync(join(srv.data, 'config', 'printer.cfg'), 'utf8') === `${PRINTER_CFG}\n# edited in Fluidd\n` ? true : undefined));
  await noErrorNotice('saving printer.cfg');
  noProblems('saving printer.cfg');
});
