// Mainsail 2.18.2 replayed (reference/clients.md 2a): its start-up over the websocket in its
// order, the files page, an upload over HTTP and a print, each reply checked for the fields
// Mainsail reads. HTTP answers in today's dialect, the server's default.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Stack } from '../../helpers/testStack.js';
import { upload } from '../../helpers/fileClient.js';
import { assertFields, everyObject, identify, pollUntil, startClientStack, versionAtLeast, type J } from '../../helpers/clientReplay.js';
import { sample } from '../../helpers/gcodeSamples.js';

let s: Stack;

before(async () => {
  s = await startClientStack();
});
after(() => s.close());

/** Mainsail's files store: every folder of a root, walked with get_directory. */
async function walkRoot(call: (m: string, p?: unknown) => Promise<J>, path: string, seen: string[]): Promise<void> {
  const dir = await call('server.files.get_directory', { path });
  assertFields(dir, { 'dirs[].dirname': 'string', 'dirs[].modified': 'number', 'dirs[].permissions': 'string', 'files[].filename': 'string', 'files[].modified': 'number', 'files[].size': 'number', 'files[].permissions': 'string', 'disk_usage.free': 'number', 'disk_usage.total': 'number', 'disk_usage.used': 'number', 'root_info.name': 'string', 'root_info.permissions': 'string' }, `get_directory ${path}`);
  seen.push(path);
  for (const d of dir.dirs as Array<{ dirname: string }>) await walkRoot(call, `${path}/${d.dirname}`, seen);
}

test('Mainsail: start-up, files page, upload and a print, in its order', async () => {
  const ws = await s.ws();
  const call = (m: string, p?: unknown) => ws.call(m, p);
  await identify(ws, 'mainsail', 'web', '2.18.2');

  // Its init modules, in parallel; the loading screen waits for every one.
  const [info, config, system, proc, dbList] = await Promise.all([
    call('server.info'),
    call('server.config'),
    call('machine.system_info'),
    call('machine.proc_stats'),
    call('server.database.list', { root: 'config' }),
  ]);
  assertFields(info, { klippy_connected: 'boolean', klippy_state: 'string', components: 'array', registered_directories: 'array', moonraker_version: 'string', warnings: 'array', failed_components: 'array', api_version: 'array' }, 'server.info');
  assert.ok(versionAtLeast(info.moonraker_version, 'v0.8.0-306'), `Mainsail warns below v0.8.0-306: ${info.moonraker_version}`);
  assertFields(config, { config: 'object', 'config.server': 'object', orig: 'object' }, 'server.config');
  assertFields(system, { system_info: 'object', 'system_info.cpu_info': 'object', 'system_info.distribution': 'object' }, 'machine.system_info');
  assertFields(proc, { moonraker_stats: 'array', system_cpu_usage: 'object', network: 'object', websocket_connections: 'number' }, 'machine.proc_stats');
  assertFields(dbList, { namespaces: 'array' }, 'server.database.list');

  for (const namespace of ['mainsail', 'maintenance']) {
    if ((dbList.namespaces as string[]).includes(namespace)) assertFields(await call('server.database.get_item', { namespace }), { value: 'object' }, namespace);
    else assertFields(await call('server.database.post_item', { namespace, key: 'initVersion', value: '2.18.2' }), { namespace: 'string', key: 'string', value: 'defined' }, `post_item ${namespace}`);
  }
  assertFields(await call('server.webcams.list'), { webcams: 'array' }, 'server.webcams.list');

  // Every registered root, walked; then the optional modules server.info lists.
  const walked: string[] = [];
  for (const root of info.registered_directories as string[]) await walkRoot(call, root, walked);
  assert.ok(walked.includes('gcodes') && walked.includes('config'));
  const components = info.components as string[];
  if (components.includes('history')) {
    assertFields(await call('server.history.list', { start: 0, limit: 50 }), { count: 'number', jobs: 'array' }, 'server.history.list');
    assertFields(await call('server.history.totals'), { job_totals: 'object', 'job_totals.total_jobs': 'number' }, 'server.history.totals');
  }
  if (components.includes('job_queue')) assertFields(await call('server.job_queue.status'), { queued_jobs: 'array', queue_state: 'string' }, 'server.job_queue.status');

  // Klippy: server.info until connected, then printer.info until ready (Mainsail polls every 2 s).
  await pollUntil(() => call('server.info'), (r: J) => r.klippy_connected === true);
  assertFields(await call('printer.objects.query', { objects: { gcode: ['commands'] } }), { eventtime: 'number', status: 'object', 'status.gcode.commands': 'object' }, 'query gcode');
  const printerInfo = await pollUntil(() => call('printer.info'), (r: J) => r.state === 'ready');
  assertFields(printerInfo, { state: 'string', state_message: 'string', hostname: 'string', software_version: 'string' }, 'printer.info');
  assertFields(await call('server.gcode_store'), { gcode_store: 'array' }, 'server.gcode_store');
  const list = await call('printer.objects.list'); // Mainsail sends no params field at all
  assertFields(list, { objects: 'array' }, 'printer.objects.list');
  const sub = await call('printer.objects.subscribe', { objects: everyObject(list.objects) });
  assertFields(sub, { eventtime: 'number', 'status.print_stats.state': 'string', 'status.webhooks.state': 'string', 'status.extruder.temperature': 'number', 'status.extruder.target': 'number', 'status.heater_bed.temperature': 'number', 'status.toolhead.position': 'array', 'status.display_status': 'object' }, 'printer.objects.subscribe');
  const temps = await call('server.temperature_store', { include_monitors: true });
  // Series keyed by sensor, every one a sensor has present from the first reply on.
  assertFields(
    temps,
    { 'extruder.temperatures': 'array', 'extruder.targets': 'array', 'extruder.powers': 'array', 'heater_bed.temperatures': 'array', 'heater_bed.targets': 'array' },
    'server.temperature_store',
  );

  // The files page: an upload, announced; the listing, each file's metadata, and its thumbnails.
  const since = ws.notifications.length;
  const gcode = readFileSync(sample('orcaslicer-2.3.0-beta2.gcode'));
  const up = await upload(s.url, { filename: 'mainsail cube.gcode', content: gcode, root: 'gcodes', path: 'parts' });
  assert.equal(up.status, 201);
  assert.equal(up.headers.location, `${s.url}/server/files/gcodes/parts/mainsail%20cube.gcode`);
  assertFields(up.json, { 'item.path': 'string', 'item.root': 'string', 'item.size': 'number', 'item.modified': 'number', action: 'string', print_started: 'boolean', print_queued: 'boolean' }, 'upload');
  assert.equal(up.json.item.path, 'parts/mainsail cube.gcode');
  const created = await ws.waitFor('notify_filelist_changed', (p) => (p?.[0] as J)?.item?.path === 'parts/mainsail cube.gcode', 5000, since);
  assertFields(created.params![0], { action: 'string', 'item.path': 'string', 'item.root': 'string', 'item.size': 'number', 'item.modified': 'number', 'item.permissions': 'string' }, 'notify_filelist_changed');
  assert.equal((created.params![0] as J).action, 'create_file');

  const dir = await call('server.files.get_directory', { path: 'gcodes/parts' });
  const file = (dir.files as J[]).find((f) => f.filename === 'mainsail cube.gcode');
  assert.ok(file);
  const meta = await call('server.files.metadata', { filename: 'parts/mainsail cube.gcode' });
  assertFields(meta, { filename: 'string', size: 'number', modified: 'number', slicer: 'string', estimated_time: 'number', filament_total: 'number', first_layer_height: 'number', layer_height: 'number', object_height: 'number', 'thumbnails[].width': 'number', 'thumbnails[].height': 'number', 'thumbnails[].size': 'number', 'thumbnails[].relative_path': 'string' }, 'server.files.metadata');
  const thumbsDir = await call('server.files.get_directory', { path: 'gcodes/parts/.thumbs' });
  for (const t of meta.thumbnails as J[]) {
    assert.ok((thumbsDir.files as J[]).some((f) => `.thumbs/${f.filename}` === t.relative_path), t.relative_path);
    const img = await fetch(`${s.url}/server/files/gcodes/parts/${t.relative_path}`);
    assert.equal(img.status, 200);
    assert.equal((await img.arrayBuffer()).byteLength, t.size);
  }

  // A print (moves only, no heating to wait for): start, pause, resume, cancel, each seen in
  // print_stats; M117 in display_status.
  const sinceStatus = ws.notifications.length;
  const state = (want: string) =>
    ws.waitFor('notify_status_update', (p) => (p?.[0] as J)?.print_stats?.state === want, 10_000, sinceStatus);
  const moves = ['G28', 'G90', ...Array.from({ length: 40 }, (_, i) => `G1 X${i % 2 === 0 ? 110 : 10} Y50 F600`)].join('\n');
  assert.equal((await upload(s.url, { filename: 'moves.gcode', content: moves })).status, 201);
  await call('printer.print.start', { filename: 'moves.gcode' });
  const printing = await state('printing');
  assert.equal(typeof printing.params![1], 'number', 'notify_status_update carries eventtime');
  await call('printer.print.pause');
  await state('paused');
  await call('printer.print.resume');
  await call('printer.print.cancel');
  await state('cancelled');
  await call('printer.gcode.script', { script: 'M117 hello from mainsail' });
  await ws.waitFor('notify_status_update', (p) => (p?.[0] as J)?.display_status?.message === 'hello from mainsail', 5000, sinceStatus);
  // Each console command is kept in Mainsail's namespace.
  await call('server.database.post_item', { namespace: 'mainsail', key: 'console.commands', value: ['M117 hello from mainsail'] });
  assert.deepEqual((await call('server.database.get_item', { namespace: 'mainsail', key: 'console.commands' })).value, ['M117 hello from mainsail']);
});
