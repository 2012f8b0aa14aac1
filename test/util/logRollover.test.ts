// The server log rotates as Moonraker's: NAME.YYYY-MM-DD per rollover, two kept, a header on
// each new file, and a rollover that cannot rename still leaves a working log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLogger, logSink } from '../../src/logger.js';

test('rollover keeps two dated files and starts each new file with the header', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-logs-'));
  const wasConsole = logSink.console;
  logSink.console = false;
  t.after(async () => {
    await logSink.close();
    logSink.console = wasConsole;
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'moonraker.log');
  logSink.header = ['moonstate test', 'data_path: somewhere'];
  logSink.attachFile(file);
  const log = getLogger('test');
  for (const day of [1, 2, 3, 4]) {
    log.info(`on day ${day}`);
    await logSink.rollover(new Date(2026, 0, day, 12));
  }
  log.info('today');
  await logSink.close();
  assert.deepEqual(readdirSync(dir).sort(), ['moonraker.log', 'moonraker.log.2026-01-03', 'moonraker.log.2026-01-04']);
  const today = readFileSync(file, 'utf8');
  assert.match(today, /^-{20} Log Start \| .* -{20}\nmoonstate test\ndata_path: somewhere\n/);
  assert.match(today, /test: today\n$/);
  assert.doesNotMatch(today, /on day/);
  assert.match(readFileSync(`${file}.2026-01-04`, 'utf8'), /on day 4/);
});

test('a rollover without a log file says so', async () => {
  await logSink.close();
  await assert.rejects(logSink.rollover(), /File Logging Disabled/);
});
