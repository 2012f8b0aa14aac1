// npm run inspector:screenshot
// Checks the inspector page in a real headless browser (Debian's Chromium through
// playwright-core) and saves visualizations/screenshot-inspector.png for the README.
// A sandbox server (virtual Klippy in-process, inspection on) is started; the page must show
// printJob in `standby` and klippyConnection in `connected.ready`, then, after a print is
// started and paused over the API, `paused` with the transitions in its log. Fails otherwise.
// CHROMIUM=/path/to/chromium overrides the browser; MOONSTATE_LOG=1 shows the server's log.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startSandbox } from '../src/scenario/sandbox.js';
import { logSink } from '../src/logger.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/browserSession.js';

// The functions given to page.evaluate run in the page; this project compiles without the DOM lib.
declare const document: { querySelectorAll(selector: string): Iterable<{ textContent: string | null }> };

const OUT = 'visualizations/screenshot-inspector.png';

logSink.console = process.env.MOONSTATE_LOG === '1';
if (!existsSync(CHROMIUM)) {
  console.error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  process.exit(1);
}

/** Ids of the highlighted nodes and clusters of one machine's diagram. */
function highlighted(page: Page, machine: string): Promise<string[]> {
  return page.evaluate(
    (m) => [...document.querySelectorAll(`[data-machine="${m}"] g.active > title`)].map((t) => t.textContent ?? '').sort(),
    machine,
  );
}

async function waitHighlighted(page: Page, machine: string, ids: string[]): Promise<void> {
  const want = [...ids].sort();
  try {
    await page.waitForFunction(
      ({ m, w }) => {
        const got = [...document.querySelectorAll(`[data-machine="${m}"] g.active > title`)].map((t) => t.textContent ?? '').sort();
        return JSON.stringify(got) === JSON.stringify(w);
      },
      { m: machine, w: want },
      { timeout: 15_000 },
    );
  } catch {
    throw new Error(`${machine}: expected ${want.join(', ')} highlighted, page shows ${(await highlighted(page, machine)).join(', ') || 'nothing'}`);
  }
}

/** Each line is a 200 mm move at 50 mm/s (4 s simulated). */
const slowFile = (lines: number) =>
  ['G28', 'G90', 'M83', 'M117 printing a square', ...Array.from({ length: lines }, (_, i) => `G1 X${i % 2 ? 20 : 220} Y${50 + (i % 4) * 20} E1 F3000`)].join('\n') + '\n';

const box = await startSandbox({ timeScale: 20 });
const profile = mkdtempSync(join(tmpdir(), 'moonstate-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 1600, height: 1000 },
});
const problems: string[] = [];
try {
  await box.waitKlippy('ready');
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
  });
  await page.goto(`${box.url}/debug/inspector/`);

  await waitHighlighted(page, 'printJob', ['printJob.standby']);
  await waitHighlighted(page, 'klippyConnection', ['cluster_klippyConnection.connected', 'klippyConnection.connected.ready']);
  console.log('inspector shows printJob standby, klippyConnection connected.ready');

  const gcode = async (script: string) => {
    const res = await fetch(`${box.url}/printer/gcode/script`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ script }),
    });
    if (!res.ok) throw new Error(`${script}: ${res.status} ${await res.text()}`);
  };
  writeFileSync(join(box.gcodesPath, 'square.gcode'), slowFile(200));
  await gcode('M109 S200\nSDCARD_PRINT_FILE FILENAME=square.gcode');
  await waitHighlighted(page, 'printJob', ['printJob.printing']);
  await new Promise((r) => setTimeout(r, 1500));
  await gcode('PAUSE');
  await waitHighlighted(page, 'printJob', ['printJob.paused']);
  const log = await page.locator('#log li.transition').allTextContents();
  if (!log.some((l) => l.includes('standby → printing')) || !log.some((l) => l.includes('printing → paused'))) {
    throw new Error(`the log lacks the transitions: ${log.join(' | ')}`);
  }
  const current = await page.locator('[data-machine="printJob"] .current').textContent();
  if (current !== 'paused') throw new Error(`printJob's header says ${current}`);
  console.log('inspector shows printJob paused after standby → printing → paused');
  await page.waitForTimeout(300);
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
  await gcode('CANCEL_PRINT');
  if (problems.length) throw new Error(problems.join('\n'));
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  await box.close();
}
