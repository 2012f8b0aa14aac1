// A Moonraker user swaps the server: `moonstate -d ~/printer_data` on their data folder, with
// their moonraker.conf (KIAUH's shape, includes, a webcam, sections of components moonstate
// lacks) and Klippy at Moonraker's default socket, started after the server as systemd may.
// And a newcomer's first start with an empty HOME: the virtual printer, ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualKlippy } from '../../src/sim/virtualKlippy.js';
import { RpcClient } from '../helpers/rpcClient.js';
import { startStack } from '../helpers/testStack.js';
import type { J } from '../helpers/clientReplay.js';
import { KIAUH_CONF } from '../helpers/moonrakerConfs.js';
import { freePort, startCli, until } from '../helpers/cliProcess.js';

async function get(base: string, path: string): Promise<{ status: number; body: J }> {
  const res = await fetch(base + path);
  const text = await res.text();
  let body: J = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, body };
}

test("a Moonraker user's printer_data: their moonraker.conf, Klippy at the default socket, Moonraker's roots, log and webcams", async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'moonstate-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const data = join(home, 'printer_data');
  const port = await freePort();
  mkdirSync(join(data, 'config', 'moonraker.d'), { recursive: true });
  // KIAUH's file, on a free port, without its klippy_uds_address: Moonraker's default applies.
  const conf = KIAUH_CONF.replace('port: 7125', `port: ${port}`)
    .replace('host: 0.0.0.0', 'host: 127.0.0.1')
    .replace('klippy_uds_address: {data_path}/comms/klippy.sock\n', '');
  writeFileSync(join(data, 'config', 'moonraker.conf'), `${conf}\n[include moonraker.d/*.conf]\n`);
  writeFileSync(join(data, 'config', 'moonraker.d', 'cam.conf'), '[webcam printer cam]\nstream_url: /webcam/?action=stream\nservice: webrtc-camerastreamer\n\n[mystery]\nfoo: bar\n[__proto__]\nx: 1\n');
  writeFileSync(join(data, '.moonraker.uuid'), '0123456789abcdef0123456789abcdef');
  // Moonraker's database files (contents do not matter here): moonstate must not touch them.
  mkdirSync(join(data, 'database'));
  writeFileSync(join(data, 'database', 'data.mdb'), 'moonraker lmdb');
  writeFileSync(join(data, 'database', 'moonraker-sql.db'), 'moonraker sqlite');
  const base = `http://127.0.0.1:${port}`;
  startCli(['-d', '~/printer_data'], home, t);

  // The server is up and waits for Klippy where Moonraker would look.
  const info = await until('the server', async () => (await get(base, '/server/info')).body.result);
  assert.equal(info.klippy_connected, false);
  const log = () => readFileSync(join(data, 'logs', 'moonraker.log'), 'utf8');
  assert.match(log(), new RegExp(`Klippy: waiting for Klippy at ${join(data, 'comms', 'klippy.sock').replace(/[.]/g, '\\.')} \\(no klippy_uds_address`));
  assert.ok(info.warnings.some((w: string) => w.startsWith('moonraker.d/cam.conf:5: Unparsed config section [mystery] detected')), JSON.stringify(info.warnings));
  assert.ok(info.warnings.every((w: string) => !w.includes(home)), 'warnings name files from the config folder');
  assert.ok(info.warnings.some((w: string) => /\[update_manager fluidd\]/.test(w)));

  const sim = new VirtualKlippy({ socketPath: join(data, 'comms', 'klippy.sock'), gcodesPath: join(data, 'gcodes'), timeScale: 20, startupDelayMs: 50 });
  await sim.start();
  t.after(() => sim.stop());
  await until('Klippy ready', async () => ((await get(base, '/printer/info')).body.result?.state === 'ready' ? true : undefined));

  // server.config: every section, including those of components moonstate lacks, and the files.
  const cfg = (await get(base, '/server/config')).body.result;
  assert.equal(cfg.config['update_manager fluidd'].repo, 'fluidd-core/fluidd');
  assert.equal(cfg.config.mystery.foo, 'bar');
  assert.ok(Object.hasOwn(cfg.config, '__proto__') && Object.hasOwn(cfg.orig, '__proto__'), 'a section named __proto__ is reported like any other');
  // orig holds values as configparser does: one that starts on the next line keeps that newline.
  assert.equal(cfg.orig.authorization.trusted_clients, '\n10.0.0.0/8\n127.0.0.0/8\n169.254.0.0/16\n172.16.0.0/12\n192.168.0.0/16\nFE80::/10\n::1/128');
  assert.deepEqual(cfg.config.authorization.trusted_clients.length, 7);
  assert.equal(cfg.config['webcam printer cam'].target_fps, 15);
  assert.equal(cfg.config.server.klippy_uds_address, join(data, 'comms', 'klippy.sock'));
  assert.deepEqual(cfg.files, [
    { filename: 'moonraker.conf', sections: ['server', 'authorization', 'octoprint_compat', 'history', 'update_manager', 'update_manager fluidd'] },
    { filename: 'moonraker.d/cam.conf', sections: ['webcam printer cam', 'mystery', '__proto__'] },
  ]);

  // Moonraker's roots and permissions.
  const roots = (await get(base, '/server/files/roots')).body.result as Array<{ name: string; path: string; permissions: string }>;
  const byName = Object.fromEntries(roots.map((r) => [r.name, r]));
  assert.deepEqual(byName.config, { name: 'config', path: join(data, 'config'), permissions: 'rw' });
  assert.deepEqual(byName.gcodes, { name: 'gcodes', path: join(data, 'gcodes'), permissions: 'rw' });
  assert.deepEqual(byName.logs, { name: 'logs', path: join(data, 'logs'), permissions: 'r' });
  const ws = await RpcClient.connect(`ws://127.0.0.1:${port}/websocket`);
  t.after(() => ws.close());
  const logsList = await ws.call<Array<{ path: string }>>('server.files.list', { root: 'logs' });
  assert.ok(logsList.some((f) => f.path === 'moonraker.log'), JSON.stringify(logsList));
  await assert.rejects(ws.call('server.files.post_directory', { path: 'logs/x' }), /read-only/);
  assert.equal((await fetch(`${base}/server/files/logs/moonraker.log`)).status, 200);
  assert.equal((await fetch(`${base}/server/files/logs/moonraker.log`, { method: 'DELETE' })).status, 405);
  const served = await fetch(`${base}/server/files/moonraker.log`);
  assert.equal(served.status, 200);
  assert.match(await served.text(), /Log Start/);

  // server.logs.rollover over the websocket: a new log, the old one kept as moonraker.log.DATE.
  const rolled = await ws.call<J>('server.logs.rollover', {});
  assert.deepEqual(rolled.rolled_over, ['moonraker']);
  assert.match(rolled.failed.klipper, /Unable to detect Klipper Service/);
  const rotated = readdirSync(join(data, 'logs')).filter((n) => /^moonraker\.log\.\d{4}-\d{2}-\d{2}$/.test(n));
  assert.equal(rotated.length, 1);
  assert.match(log(), /^-+ Log Start \|/);
  assert.doesNotMatch(log(), /waiting for Klippy/, 'the new file starts afresh');
  const overHttp = await fetch(`${base}/server/logs/rollover`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"application":"moonraker"}' });
  assert.deepEqual(((await overHttp.json()) as J).result, { rolled_over: ['moonraker'], failed: {} });
  assert.equal((await fetch(`${base}/server/logs/rollover?application=octoprint`, { method: 'POST' })).status, 400);

  // The configured webcam: listed first, read-only, with Moonraker's uid.
  await ws.call('server.webcams.post_item', { name: 'usb', stream_url: 'http://cam/usb' });
  const cams = (await ws.call<J>('server.webcams.list')).webcams as J[];
  assert.deepEqual(cams.map((c) => [c.name, c.source]), [['printer cam', 'config'], ['usb', 'database']]);
  // Python: uuid.uuid5(uuid.UUID('0123456789abcdef0123456789abcdef'), 'moonraker.webcam.printer cam')
  const uid = 'b5a4dc6d-34f9-5ed7-8705-27af15770058';
  assert.equal(cams[0].uid, uid);
  assert.equal(cams[0].service, 'webrtc-camerastreamer');
  await assert.rejects(ws.call('server.webcams.delete_item', { uid }), /Cannot delete webcam 'printer cam' sourced from Moonraker configuration/);
  await assert.rejects(ws.call('server.webcams.post_item', { uid, stream_url: 'x' }), /Cannot overwrite webcam/);
  await assert.rejects(ws.call('server.webcams.post_item', { name: 'printer cam', stream_url: 'x' }), /Cannot overwrite webcam/);
  assert.equal((await ws.call<J>('server.webcams.get_item', { uid })).webcam.name, 'printer cam');
  assert.equal(readFileSync(join(data, 'database', 'data.mdb'), 'utf8'), 'moonraker lmdb', "Moonraker's LMDB file is not ours");
  assert.equal(readFileSync(join(data, 'database', 'moonraker-sql.db'), 'utf8'), 'moonraker sqlite');
});

test("a newcomer's first start: no printer_data anywhere, no options, the virtual printer gets ready", async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'moonstate-newcomer-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const port = await freePort();
  startCli(['--port', String(port), '--host', '127.0.0.1'], home, t);
  const base = `http://127.0.0.1:${port}`;
  await until('Klippy ready', async () => ((await get(base, '/printer/info')).body.result?.state === 'ready' ? true : undefined));
  const log = readFileSync(join(home, 'printer_data', 'logs', 'moonraker.log'), 'utf8');
  assert.match(log, /Klippy: the built-in virtual Klippy, because no config file at .*printer_data\/config\/moonraker\.conf/);
  assert.ok(existsSync(join(home, 'printer_data', 'gcodes')));
});

test('[file_manager] enable_config_write_access: False makes the config root read-only, as in Moonraker', async (t) => {
  const s = await startStack({ extraConfig: '[file_manager]\nenable_config_write_access: False\n' });
  t.after(() => s.close());
  const roots = (await s.http('GET', '/server/files/roots')).body.result as Array<{ name: string; permissions: string }>;
  assert.equal(roots.find((r) => r.name === 'config')?.permissions, 'r');
  assert.equal((await s.http('POST', '/server/files/directory?path=config/new')).status, 405);
  assert.equal((await s.http('POST', '/server/files/directory?path=gcodes/new')).status, 200);
});
