// What the browser tests of the real web clients share: a Moonraker user's home served by the
// moonstate command (their printer_data, their moonraker.conf, the UI's release files at
// `[server] web_path`), a headless Debian Chromium driven by playwright-core, and a watch on
// everything the page reports that a user would call a failure.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../../src/util/packageRoot.js';
import { freePort, startCli, until } from './cliProcess.js';
import type { J } from './clientReplay.js';

/** The release builds (read-only; see its README.md), or $MOONSTATE_WEBCLIENTS. */
export const WEBCLIENTS = process.env.MOONSTATE_WEBCLIENTS ?? resolve(packageRoot(), '..', 'shared', 'webclients');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(ui: string): string | undefined {
  if (!existsSync(join(WEBCLIENTS, ui, 'index.html'))) return `no ${ui} release build at ${WEBCLIENTS}/${ui} (set MOONSTATE_WEBCLIENTS)`;
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`;
  return undefined;
}

// Chromium as the shared README says: no sandbox (CI runs as root), nothing fetched from Google.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type After = { after(fn: () => Promise<void> | void): void };

export interface UserServer {
  base: string;
  /** The user's HOME (the UI's copy is ~/UI). */
  home: string;
  /** ~/printer_data of the user. */
  data: string;
  /** print_stats as the server reports it over HTTP. */
  printStats(): Promise<J>;
  /** Waits until the server's print_stats.state is `state`. */
  waitPrintState(state: string): Promise<J>;
}

/**
 * A user's home with ~/printer_data/config/moonraker.conf naming nothing but what a Moonraker
 * user has (no dialect option: the server's defaults apply), the UI copied beside it (the
 * shared folder is read-only), and `moonstate` started with no arguments, as its unit would.
 */
export async function startUserServer(t: After, ui: string, printerCfg: string): Promise<UserServer> {
  const home = mkdtempSync(join(tmpdir(), `moonstate-${ui}-home-`));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const data = join(home, 'printer_data');
  mkdirSync(join(data, 'config'), { recursive: true });
  const web = join(home, ui);
  cpSync(join(WEBCLIENTS, ui), web, { recursive: true });
  const port = await freePort();
  writeFileSync(
    join(data, 'config', 'moonraker.conf'),
    [
      '[server]',
      'host: 127.0.0.1',
      `port: ${port}`,
      `web_path: ~/${ui}`,
      '',
      '[authorization]',
      'trusted_clients:',
      '    127.0.0.0/8',
      '    ::1/128',
      'cors_domains:',
      '    *://localhost',
      '',
      // Slow enough that a pause, a resume and a cancel land mid-print (the 27-minute sample
      // prints for over a minute), fast enough that the bed heats in seconds.
      '[virtual_klippy]',
      'time_scale: 20',
      'startup_delay: 0.2',
      '',
    ].join('\n'),
  );
  writeFileSync(join(data, 'config', 'printer.cfg'), printerCfg);
  startCli([], home, t);
  const base = `http://127.0.0.1:${port}`;
  const getJson = async (path: string): Promise<J> => (await (await fetch(base + path)).json()) as J;
  await until('Klippy ready', async () => ((await getJson('/printer/info')).result?.state === 'ready' ? true : undefined), 30_000);
  const printStats = async () => (await getJson('/printer/objects/query?print_stats')).result.status.print_stats;
  return {
    base,
    home,
    data,
    printStats,
    waitPrintState: (state) =>
      until(`print_stats.state ${state}`, async () => {
        const ps = await printStats();
        return ps.state === state ? ps : undefined;
      }),
  };
}

export interface BrowserSession {
  page: Page;
  /** Everything that went wrong in the page so far (failed requests, HTTP errors, console errors, page errors). */
  problems: string[];
  /** `step`'s result, or a rejection naming the first problem seen while waiting (a UI that fails often just stops). */
  orProblem: <T>(step: Promise<T>) => Promise<T>;
}

/**
 * Headless Chromium on a fresh profile, its page watched: a failed request, a reply with status
 * >= 400, a console error, an uncaught exception or an error reply on the websocket is a
 * problem, unless `expected` (for a 4xx reply) or `expectedWsError` (for a websocket reply)
 * says the UI asks knowing the answer may be "not found", as it does of Moonraker too.
 */
export async function openBrowser(
  t: After,
  expected: (url: string, status: number) => boolean = () => false,
  expectedWsError: (reply: J) => boolean = () => false,
): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'moonstate-chromium-'));
  const ctx: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
  });
  t.after(async () => {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const problems: string[] = [];
  const listeners = new Set<(p: string) => void>();
  const report = (problem: string) => {
    problems.push(problem);
    for (const l of listeners) l(problem);
  };
  const orProblem = <T>(step: Promise<T>): Promise<T> => {
    // The step may never settle before the page closes; its late rejection is no news.
    step.catch(() => undefined);
    // Tests check for no problems between steps: one already here came from this step.
    if (problems.length > 0) return Promise.reject(new Error(`the page reported: ${problems[0]}`));
    let listener: ((p: string) => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      listener = (p) => reject(new Error(`the page reported: ${p}`));
      listeners.add(listener);
    });
    return Promise.race([step, failed]).finally(() => listeners.delete(listener!));
  };
  page.on('pageerror', (e) => report(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A navigation away aborts the previous page's pending loads: not a server failure.
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.resourceType() !== 'xhr' && r.resourceType() !== 'fetch') return;
    report(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected(r.url(), r.status())) report(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  page.on('console', (m) => {
    // Chromium logs every 4xx reply as a console error too; those are judged by the URL above.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of 4')) report(`console error: ${m.text()}`);
  });
  page.on('websocket', (ws) => {
    // MOONSTATE_BROWSER_LOG=1 shows what the UI asks over the websocket (replies with errors are problems anyway).
    if (process.env.MOONSTATE_BROWSER_LOG === '1') ws.on('framesent', (f) => console.log('ws>', String(f.payload).slice(0, 300)));
    ws.on('framereceived', (f) => {
      const text = String(f.payload);
      if (!text.includes('"error"')) return;
      let reply: J;
      try {
        reply = JSON.parse(text);
      } catch {
        report(`websocket frame not JSON: ${text.slice(0, 200)}`);
        return;
      }
      if (reply.error !== undefined && !expectedWsError(reply)) report(`websocket error reply: ${text.slice(0, 400)}`);
    });
  });
  return { page, problems, orProblem };
}

/** Saves the page to $MOONSTATE_SCREENSHOT_DIR/screenshot-NAME.png when that is set (npm run webclients:screenshot). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.MOONSTATE_SCREENSHOT_DIR;
  if (dir) await page.screenshot({ path: join(dir, `screenshot-${name}.png`) });
}
