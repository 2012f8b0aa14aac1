import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient, query, waitForState } from './rawClient.js';

const CLI = join(import.meta.dirname, '../../src/cli/moonstateSim.ts');

test('moonstate-sim serves the socket and exits cleanly on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-sim-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'klippy.sock');
  const logFile = join(dir, 'logs', 'klippy.log');
  const configFile = join(dir, 'config', 'printer.cfg');
  const child = spawn(process.execPath, [
    '--import', 'tsx', CLI, '--socket', socketPath, '--time-scale', '20', '--gcodes', join(dir, 'gcodes'),
    '--log-file', logFile, '--config-file', configFile, '--startup-delay', '0.1',
  ]);
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 15000;
  while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.match(out, /^moonstate-sim: listening on .*klippy\.sock \(time scale 20\)\n$/);

  const c = await RawClient.connect(socketPath);
  await waitForState(c, 'ready');
  const info = await c.result('info');
  assert.equal(info.log_file, logFile);
  assert.equal(info.config_file, configFile);
  const cfg = (await query(c, { configfile: ['config'] })).configfile?.config as Record<string, Record<string, string>>;
  assert.equal(cfg.virtual_sdcard?.path, join(dir, 'gcodes'));
  assert.match(readFileSync(configFile, 'utf8'), /\[virtual_sdcard\]\npath: .*gcodes/);
  assert.match(readFileSync(logFile, 'utf8'), /Starting Klippy/);
  c.close();

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(existsSync(socketPath), false, 'socket file removed');
});

test('moonstate-sim refuses bad arguments', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--time-scale', '2']);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /--socket is required/);
});
