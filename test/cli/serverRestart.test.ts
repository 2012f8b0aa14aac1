// server.restart against the real `moonstate` command: the process stays, every part stops and
// starts again, and an edit to the config file takes effect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcClient } from '../helpers/rpcClient.js';
import { freePort } from '../helpers/cliProcess.js';
import type { J } from '../helpers/clientReplay.js';

const CLI = join(import.meta.dirname, '../../src/cli/moonstate.ts');

async function getJson(url: string): Promise<J> {
  try {
    const res = await fetch(url);
    return res.ok ? ((await res.json()) as { result: unknown }).result : undefined;
  } catch {
    return undefined;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('server.restart restarts in the same process and reads the edited config file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const conf = join(dir, 'moonstate.conf');
  writeFileSync(conf, `[server]\nhost: 127.0.0.1\nport: ${port}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n[virtual_klippy]\nstartup_delay: 0\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '-c', conf, '-d', join(dir, 'data')], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  const ready = () => until('Klippy ready', async () => ((await getJson(`${base}/printer/info`))?.state === 'ready' ? true : undefined));
  await ready();
  assert.equal((await getJson(`${base}/server/config`)).config.server.max_upload_size, 1024);

  const ws = await RpcClient.connect(`ws://127.0.0.1:${port}/websocket`);
  const closed = once(ws.ws, 'close');
  writeFileSync(conf, `[server]\nhost: 127.0.0.1\nport: ${port}\nmax_upload_size: 300\n[authorization]\ntrusted_clients: 127.0.0.0/8\n[virtual_klippy]\nstartup_delay: 0\n`);
  assert.equal(await ws.call('server.restart'), 'ok', 'the reply comes before the restart');
  await closed;

  await ready();
  assert.equal((await getJson(`${base}/server/config`)).config.server.max_upload_size, 300, 'the edited file was read again');
  assert.equal(child.exitCode, null, 'the same process serves again');
  const again = await RpcClient.connect(`ws://127.0.0.1:${port}/websocket`);
  assert.equal((await again.call('printer.info')).state, 'ready');
  await again.close();

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0);
});
