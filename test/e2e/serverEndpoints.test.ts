// Today's server endpoints: identify and dialect, server.info/config, gcode store, database,
// webcams, host facts, proc stats, OctoPrint compatibility and the served web client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError } from '../helpers/rpcClient.js';

let s: Stack;
let web: string;

before(async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  web = mkdtempSync(join(tmpdir(), 'web-'));
  mkdirSync(join(web, 'assets'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>mainsail</title>');
  writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
  s = await startStack({ extraConfig: `web_path: ${web}\n[data_store]\ngcode_store_size: 5\n[bogus_section]\n[octoprint_compat]\n` });
  await s.waitReady();
});
after(() => s.close());

test('server.connection.identify gives a connection id once and switches the connection to today\'s dialect', async () => {
  const ws = await s.ws();
  const id = (await ws.call('server.websocket.id')).websocket_id;
  const conn = s.server.kernel.connections.get(id)!;
  assert.equal(conn.dialect, 'spec');
  const r = await ws.call('server.connection.identify', { client_name: 'mainsail', version: '2.18.2', type: 'web', url: 'https://docs.mainsail.xyz' });
  assert.equal(r.connection_id, id);
  assert.equal(conn.dialect, 'current');
  assert.deepEqual(conn.identity, { client_name: 'mainsail', version: '2.18.2', type: 'web', url: 'https://docs.mainsail.xyz' });
  await assert.rejects(ws.call('server.connection.identify', { client_name: 'x', version: '1', type: 'web', url: 'u' }), /already identified/);
  const other = await s.ws();
  await assert.rejects(other.call('server.connection.identify', { client_name: 'x', version: '1', type: 'toaster', url: 'u' }), (e: unknown) => e instanceof RpcError && e.code === -32602);
  await assert.rejects(other.call('server.connection.identify', { client_name: 'x' }), (e: unknown) => e instanceof RpcError && e.code === -32602);
});

test('server.info carries what today\'s clients read, and lists only components that answer', async () => {
  const info = (await s.http('GET', '/server/info')).body.result;
  for (const k of ['klippy_connected', 'klippy_state', 'components', 'failed_components', 'registered_directories', 'warnings', 'websocket_count', 'moonraker_version', 'missing_klippy_requirements', 'api_version', 'api_version_string']) {
    assert.ok(k in info, `missing ${k}`);
  }
  assert.equal(info.klippy_connected, true);
  assert.equal(info.klippy_state, 'ready');
  assert.deepEqual(info.missing_klippy_requirements, []);
  assert.match(info.moonraker_version, /^v0\.(\d+)\.\d+-\d+/);
  assert.ok(Number(/^v0\.(\d+)/.exec(info.moonraker_version)![1]) >= 8, 'Mainsail and Fluidd need at least v0.8');
  for (const c of info.components) {
    assert.ok(['klippy_apis', 'file_manager', 'database', 'data_store', 'machine', 'proc_stats', 'job_state', 'history', 'job_queue', 'webcam', 'octoprint_compat', 'authorization'].includes(c), c);
  }
  // authorization: clients ask access.get_user and learn they are the trusted user (no logins yet).
  for (const c of ['klippy_apis', 'database', 'data_store', 'machine', 'proc_stats', 'webcam', 'octoprint_compat', 'authorization']) assert.ok(info.components.includes(c), c);
  assert.ok(info.warnings.some((w: string) => /bogus_section/.test(w)), 'config warnings are reported');
});

test('server.config: typed values, the original strings and the files read', async () => {
  const ws = await s.ws();
  const cfg = await ws.call('server.config');
  assert.equal(cfg.config.server.port, 0);
  assert.equal(cfg.config.data_store.temperature_store_size, 1200);
  assert.equal(cfg.config.data_store.gcode_store_size, 5);
  assert.equal(cfg.orig.data_store.gcode_store_size, '5');
  assert.equal(typeof cfg.config.authorization.enabled, 'boolean');
  assert.ok(Array.isArray(cfg.files));
});

test('server.gcode_store keeps commands and responses, newest last, capped', async () => {
  const ws = await s.ws();
  await ws.call('printer.gcode.script', { script: 'RESPOND MSG=store-one' });
  await ws.call('printer.gcode.script', { script: 'RESPOND MSG=store-two' });
  const deadline = Date.now() + 3000;
  let store: Array<{ message: string; type: string; time: number }> = [];
  while (Date.now() < deadline) {
    store = (await ws.call('server.gcode_store')).gcode_store;
    if (store.some((e) => e.type === 'response' && e.message.includes('store-two'))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(store.length <= 5, 'capped at gcode_store_size');
  assert.deepEqual(store.filter((e) => e.type === 'command').map((e) => e.message).slice(-2), ['RESPOND MSG=store-one', 'RESPOND MSG=store-two']);
  assert.ok(store.every((e, i) => i === 0 || e.time >= store[i - 1]!.time));
  assert.equal((await s.http('GET', '/server/gcode_store?count=1')).body.result.gcode_store.length, 1);
});

test('server.database: items of any type, nested keys, list, delete, server namespaces read-only', async () => {
  const ws = await s.ws();
  assert.deepEqual(await ws.call('server.database.post_item', { namespace: 'mainsail', key: 'general.printername', value: 'Voron' }), {
    namespace: 'mainsail',
    key: 'general.printername',
    value: 'Voron',
  });
  await ws.call('server.database.post_item', { namespace: 'mainsail', key: ['console', 'history'], value: ['G28', 'M104 S200'] });
  const all = await ws.call('server.database.get_item', { namespace: 'mainsail' });
  assert.deepEqual(all.value, { general: { printername: 'Voron' }, console: { history: ['G28', 'M104 S200'] } });
  assert.equal(all.key, null);
  const http = await s.http('GET', '/server/database/item?namespace=mainsail&key=general.printername');
  assert.equal(http.body.result.value, 'Voron');
  const posted = await s.http('POST', '/server/database/item', { namespace: 'fluidd', key: 'uiSettings', value: { theme: { isDark: true } } });
  assert.deepEqual(posted.body.result.value, { theme: { isDark: true } });
  const list = await ws.call('server.database.list');
  assert.ok(list.namespaces.includes('mainsail') && list.namespaces.includes('fluidd'));
  assert.ok(Array.isArray(list.backups));
  assert.deepEqual((await ws.call('server.database.delete_item', { namespace: 'fluidd', key: 'uiSettings' })).value, { theme: { isDark: true } });
  await assert.rejects(ws.call('server.database.get_item', { namespace: 'fluidd' }), (e: unknown) => e instanceof RpcError && e.code === 404);
  await assert.rejects(ws.call('server.database.get_item', { namespace: 'mainsail', key: 'nope' }), (e: unknown) => e instanceof RpcError && e.code === 404);
  await assert.rejects(ws.call('server.database.post_item', { namespace: 'history', key: 'x', value: 1 }), (e: unknown) => e instanceof RpcError && e.code === 403);
  await assert.rejects(ws.call('server.database.post_item', { namespace: 'mainsail', key: 'x' }), (e: unknown) => e instanceof RpcError && e.code === -32602);
});

test('server.database backup, compact and restore bring back exactly what was backed up', async () => {
  const ws = await s.ws();
  await ws.call('server.database.post_item', { namespace: 'backup_test', key: 'v', value: 'before' });
  const { backup_path } = await ws.call('server.database.post_backup', { filename: 'mine.mdb' });
  assert.match(backup_path, /backup\/database\/mine\.mdb$/);
  assert.ok((await ws.call('server.database.list')).backups.includes('mine.mdb'));
  await ws.call('server.database.post_item', { namespace: 'backup_test', key: 'v', value: 'after' });
  const sizes = await ws.call('server.database.compact');
  assert.ok(sizes.previous_size > 0 && sizes.new_size > 0);
  assert.equal((await ws.call('server.database.get_item', { namespace: 'backup_test', key: 'v' })).value, 'after');
  const restored = await ws.call('server.database.restore', { filename: 'mine.mdb' });
  assert.ok(restored.restored_namespaces.includes('backup_test'));
  assert.equal((await ws.call('server.database.get_item', { namespace: 'backup_test', key: 'v' })).value, 'before');
  await assert.rejects(ws.call('server.database.restore', { filename: '../../etc/passwd' }), (e: unknown) => e instanceof RpcError && e.code === 400);
  await assert.rejects(ws.call('server.database.restore', { filename: 'nope.mdb' }), (e: unknown) => e instanceof RpcError && e.code === 404);
  writeFileSync(join(s.dir, 'data', 'backup', 'database', 'garbage.mdb'), 'not a database at all');
  await assert.rejects(ws.call('server.database.restore', { filename: 'garbage.mdb' }), (e: unknown) => e instanceof RpcError && e.code === 400);
  assert.equal((await ws.call('server.database.get_item', { namespace: 'backup_test', key: 'v' })).value, 'before', 'a refused restore changes nothing');
  assert.equal((await ws.call('server.database.delete_backup', { filename: 'mine.mdb' })).backup_path, backup_path);
});

test('server.webcams: add, update, get, list, delete, with notify_webcams_changed', async () => {
  const ws = await s.ws();
  assert.deepEqual((await ws.call('server.webcams.list')).webcams, []);
  const since = ws.notifications.length;
  const { webcam } = await ws.call('server.webcams.post_item', { name: 'bed', stream_url: '/webcam/?action=stream' });
  assert.equal(webcam.service, 'mjpegstreamer');
  assert.equal(webcam.target_fps, 15);
  assert.equal(webcam.source, 'database');
  assert.match(webcam.uid, /^[0-9a-f-]{36}$/);
  await ws.waitFor('notify_webcams_changed', (p) => (p?.[0] as { webcams: unknown[] }).webcams.length === 1, 3000, since);
  const updated = (await ws.call('server.webcams.post_item', { uid: webcam.uid, rotation: 90 })).webcam;
  assert.equal(updated.rotation, 90);
  assert.equal(updated.name, 'bed');
  assert.equal((await s.http('GET', `/server/webcams/item?uid=${webcam.uid}`)).body.result.webcam.rotation, 90);
  await assert.rejects(ws.call('server.webcams.post_item', { name: 'bed', stream_url: 'x' }), /already exists/);
  await assert.rejects(ws.call('server.webcams.post_item', { name: 'x', stream_url: 'y', rotation: 45 }), (e: unknown) => e instanceof RpcError && e.code === -32602);
  assert.equal((await ws.call('server.webcams.delete_item', { uid: webcam.uid })).webcam.name, 'bed');
  await assert.rejects(ws.call('server.webcams.get_item', { uid: webcam.uid }), (e: unknown) => e instanceof RpcError && e.code === 404);
});

test('machine.system_info, machine.proc_stats and its notification every second, serial devices', async () => {
  const ws = await s.ws();
  const { system_info } = await ws.call('machine.system_info');
  assert.ok(system_info.cpu_info.cpu_count > 0);
  assert.equal(system_info.cpu_info.memory_units, 'kB');
  assert.equal(typeof system_info.distribution.name, 'string');
  assert.ok(['none', 'vm', 'container'].includes(system_info.virtualization.virt_type));
  const since = ws.notifications.length;
  const n = await ws.waitFor('notify_proc_stat_update', undefined, 3000, since);
  const p = n.params![0] as { moonraker_stats: { memory: number; mem_units: string }; websocket_connections: number; system_memory: { total: number } };
  assert.ok(p.moonraker_stats.memory > 10_000, 'RSS in kB');
  assert.ok(p.websocket_connections >= 1);
  const stats = await ws.call('machine.proc_stats');
  assert.ok(stats.moonraker_stats.length >= 1 && stats.moonraker_stats.length <= 30);
  assert.ok(stats.system_uptime > 0);
  assert.ok(Array.isArray((await ws.call('machine.peripherals.serial')).serial_devices));
});

test('OctoPrint compatibility: /api/version and /api/server answer bare JSON', async () => {
  const v = await s.http('GET', '/api/version');
  assert.equal(v.status, 200);
  assert.equal(v.body.server, '1.5.0');
  assert.equal(typeof v.body.api, 'string');
  assert.equal((await s.http('GET', '/api/server')).body.server, '1.5.0');
});

test('a configured web client is served on the same port; API paths are unaffected', async () => {
  const index = await fetch(s.url + '/');
  assert.equal(index.status, 200);
  assert.match(await index.text(), /mainsail/);
  assert.equal(await (await fetch(s.url + '/assets/app.js')).text(), 'console.log(1)');
  const deep = await fetch(s.url + '/settings/general', { headers: { accept: 'text/html' } });
  assert.match(await deep.text(), /mainsail/, 'single-page routes get the app');
  assert.equal((await s.http('GET', '/printer/info')).body.result.state, 'ready');
  assert.equal((await fetch(s.url + '/assets/missing.js')).status, 404);
});
