// Mainsail 2.18.2's release build in headless Chromium, served by moonstate from `[server]
// web_path` on a Moonraker user's default config, driven as a user drives it: the dashboard
// connects, a slicer's file is uploaded on the files page, printed from its dialog (thumbnail
// shown), watched on the dashboard, paused, resumed and cancelled from the status panel, and
// printer.cfg is edited and saved in the editor. Nothing may fail on the way: no error toast,
// no failed request, no console error; the server's print_stats follows each click.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserSkipReason, openBrowser, screenshot, startUserServer } from '../../helpers/browserSession.js';
import { sample } from '../../helpers/gcodeSamples.js';
import { until } from '../../helpers/cliProcess.js';

const FILE = 'prusaslicer-2.7.4_plant-sign.gcode';
const BIG_THUMB = '.thumbs/prusaslicer-2.7.4_plant-sign-220x124.png';
const MDI_PAUSE = 'M14,19H18V5H14M6,19H10V5H6V19Z';
const MDI_PLAY = 'M8,5.14V19.14L19,12.14L8,5.14Z';
const MDI_STOP = 'M18,18H6V6H18V18Z';
const MDI_CONTENT_SAVE = 'M15,9H5V5H15M12,19A3,3 0 0,1 9,16A3,3 0 0,1 12,13A3,3 0 0,1 15,16A3,3 0 0,1 12,19M17,3H5C3.89,3 3,3.9 3,5V19A2,2 0 0,0 5,21H19A2,2 0 0,0 21,19V7L17,3Z';
/** The user's own printer.cfg: the virtual printer must leave it alone, the editor must save it. */
const PRINTER_CFG = '# my printer\n[printer]\nkinematics: cartesian\n';

/** Mainsail's status panel: the dashboard panel whose title is the job's state. */
const statusToolbar = (page: Page) => page.locator('.panel-toolbar', { hasText: /Printing|Paused|Standby|Cancelled|Complete/ }).first();
const iconButton = (page: Page, path: string) => statusToolbar(page).locator(`button:has(path[d="${path}"])`);

// Mainsail asks for optional theme files in the config root and treats a 404 as "none".
const expected404 = (url: string, status: number) => status === 404 && /\/server\/files\/config\/\.theme\/[a-z]+\.json\?/.test(url);

test('Mainsail in Chromium: connect, upload, print with thumbnail and progress, pause, resume, cancel, edit printer.cfg', { skip: browserSkipReason('mainsail') }, async (t) => {
  const srv = await startUserServer(t, 'mainsail', PRINTER_CFG);
  const { page, problems, orProblem } = await openBrowser(t, expected404);
  const images: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 200 && r.request().resourceType() === 'image') images.push(r.url());
  });
  const noProblems = (step: string) => assert.deepEqual(problems, [], `after ${step}`);
  const noErrorToast = async (step: string) => assert.deepEqual(await page.locator('.v-toast__item--error').allInnerTexts(), [], `error toast after ${step}`);

  await page.goto(srv.base + '/');
  await statusToolbar(page).filter({ hasText: 'Standby' }).waitFor();
  await noErrorToast('connecting');
  noProblems('connecting');

  // Upload on the files page (its own file input, as the upload button opens it).
  await page.getByRole('link', { name: /G-Code Files/i }).click();
  const uploaded = page.waitForResponse((r) => r.url().endsWith('/server/files/upload') && r.request().method() === 'POST');
  await page.locator('input[type=file][multiple]').setInputFiles(sample(FILE));
  assert.equal((await orProblem(uploaded)).status(), 201);
  const row = page.locator('tr', { hasText: FILE });
  await row.waitFor();
  // (The list shows a small thumbnail only for one of 32 to 64 pixels; this file has 16x16.)
  await noErrorToast('uploading');

  // Its dialog shows the big thumbnail; Print starts it.
  await row.click();
  const dialog = page.locator('.v-dialog--active');
  await dialog.locator(`.v-image__image[style*="${BIG_THUMB}"]`).waitFor();
  await dialog.getByRole('button', { name: /^print$/i }).click();
  const printing = await srv.waitPrintState('printing');
  assert.equal(printing.filename, FILE);

  // The dashboard: progress rises, the thumbnail shows. The printer heats first; the job's
  // moves have begun once print_duration counts.
  await until('moves printing', async () => ((await srv.printStats()).print_duration > 0 ? true : undefined), 30_000);
  await page.getByRole('link', { name: /Dashboard/i }).click();
  await statusToolbar(page).filter({ hasText: /[1-9]\d?% Printing/ }).waitFor({ timeout: 30_000 });
  await page.locator(`.v-image__image[style*="${BIG_THUMB}"]`).first().waitFor();
  assert.ok(images.some((u) => u.includes(BIG_THUMB)), `thumbnail loaded: ${images.join(', ')}`);
  await screenshot(page, 'mainsail');
  await noErrorToast('printing');
  noProblems('printing');

  // Pause, resume, cancel from the status panel; the server follows each.
  await iconButton(page, MDI_PAUSE).click();
  await srv.waitPrintState('paused');
  await statusToolbar(page).filter({ hasText: 'Paused' }).waitFor();
  await iconButton(page, MDI_PLAY).click();
  await srv.waitPrintState('printing');
  await statusToolbar(page).filter({ hasText: 'Printing' }).waitFor();
  await iconButton(page, MDI_PAUSE).click();
  await srv.waitPrintState('paused');
  await iconButton(page, MDI_STOP).click();
  // Mainsail may ask first (its "confirm on cancel" setting).
  const confirm = page.locator('.v-dialog--active').getByRole('button', { name: /cancel print|^cancel job$|^stop$/i });
  if (await confirm.count()) await confirm.first().click();
  const cancelled = await srv.waitPrintState('cancelled');
  assert.equal(cancelled.filename, FILE);
  await statusToolbar(page).filter({ hasText: 'Cancelled' }).waitFor();
  await noErrorToast('cancelling');
  noProblems('pausing, resuming and cancelling');

  // The editor: open printer.cfg from the Machine page, add a line, save.
  await page.getByRole('link', { name: /Machine/i }).click();
  await page.locator('tr', { hasText: 'printer.cfg' }).first().click();
  const editor = page.locator('.cm-content');
  await editor.waitFor();
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n# edited in Mainsail\n');
  const saved = page.waitForResponse((r) => r.url().endsWith('/server/files/upload') && r.request().method() === 'POST');
  await page.locator(`.v-dialog--active button:has(path[d="${MDI_CONTENT_SAVE}"])`).click();
  assert.equal((await orProblem(saved)).status(), 201);
  await until('printer.cfg saved', async () => (readFileSync(join(srv.data, 'config', 'printer.cfg'), 'utf8') === `${PRINTER_CFG}\n# edited in Mainsail\n` ? true : undefined));
  await noErrorToast('saving printer.cfg');
  noProblems('saving printer.cfg');
});
