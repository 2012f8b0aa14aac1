// Fluidd 1.37.4 replayed (reference/clients.md 2b): the websocket found within its 1.2 s probe,
// identify, its database namespaces, the parallel start-up, Klippy, the extended file listing,
// who the user is (the trusted user), an upload and a download without a token, then one with a
// oneshot token asked for over the websocket, each reply checked for the fields Fluidd reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Stack } from '../../helpers/testStack.js';
import { RpcClient, RpcError } from '../../helpers/rpcClient.js';
import { multipart, rawRequest, upload } from '../../helpers/fileClient.js';
import { assertFields, everyObject, identify, pollUntil, startClientStack, versionAtLeast, type J } from '../../helpers/clientReplay.js';
import { sample } from '../../helpers/gcodeSamples.js';
import { fileManager } from '../../../src/components/file_manager/index.js';

let s: Stack;

before(async () => {
  s = await startClientStack();
  // A file sliced before Fluidd was opened.
  assert.equal((await upload(s.url, { filename: 'benchy.gcode', content: readFileSync(sample('orcaslicer-2.3.0-beta2.gcode')) })).status, 201);
  await pollUntil(async () => s.server.kernel.lookup(fileManager).metadataPending, (n) => n === 0);
});
after(() => s.close());

test('Fluidd: probe, identify, namespaces, start-up, Klippy, files and an upload, in its order', async () => {
  const opened = Date.now();
  const ws = await RpcClient.connect(`${s.wsUrl}?printer=0123456789abcdef`);
  assert.ok(Date.now() - opened < 1200, 'Fluidd gives up on an endpoint after 1.2 s');
  try {
    const call = (m: string, p?: unknown) => ws.call(m, p);
    await identify(ws, 'fluidd', 'web', '1.37.4');

    // Its namespaces: a missing one is an error Fluidd swallows, then creates the keys.
    for (const namespace of ['fluidd', 'webcams']) {
      const got = await call('server.database.get_item', { namespace }).catch((e: unknown) => {
        assert.ok(e instanceof RpcError && e.code === -32601, String(e)); // today's Moonraker's code for a 404
        return undefined;
      });
      if (got) assertFields(got, { value: 'object' }, `get_item ${namespace}`);
      else await call('server.database.post_item', { namespace, key: 'uiSettings', value: { general: { instanceName: 'moonstate' } } });
    }
    assertFields(await call('server.database.get_item', { namespace: 'fluidd' }), { 'value.uiSettings.general': 'object' }, 'fluidd namespace');

    const [info, config, proc, system, configFiles] = await Promise.allSettled([
      call('server.info'),
      call('server.config'),
      call('machine.proc_stats'),
      call('machine.system_info'),
      call('server.files.list', { root: 'config' }),
    ]).then((rs) => rs.map((r) => (r.status === 'fulfilled' ? r.value : assert.fail(String(r.reason)))));
    assertFields(info, { klippy_connected: 'boolean', klippy_state: 'string', components: 'array', registered_directories: 'array', moonraker_version: 'string', warnings: 'array' }, 'server.info');
    assert.ok(versionAtLeast(info.moonraker_version, 'v0.8.0-309'), `Fluidd warns below v0.8.0-309: ${info.moonraker_version}`);
    assertFields(config, { 'config.server': 'object' }, 'server.config');
    assertFields(proc, { moonraker_stats: 'array', websocket_connections: 'number' }, 'machine.proc_stats');
    assertFields(system, { 'system_info.cpu_info': 'object' }, 'machine.system_info');
    assertFields(configFiles, { '[].path': 'string', '[].modified': 'number', '[].size': 'number', '[].permissions': 'string' }, 'server.files.list config');

    // Klippy connected: info, objects, the subscription, then the stores and the help.
    assert.equal(info.klippy_connected, true);
    assertFields(await call('printer.info'), { state: 'string', software_version: 'string' }, 'printer.info');
    const list = await call('printer.objects.list');
    const sub = await call('printer.objects.subscribe', { objects: everyObject(list.objects) });
    assertFields(sub, { eventtime: 'number', 'status.webhooks.state': 'string', 'status.print_stats.state': 'string', 'status.virtual_sdcard.progress': 'number', 'status.configfile.settings': 'object' }, 'printer.objects.subscribe');
    assertFields(await call('server.gcode_store'), { gcode_store: 'array' }, 'server.gcode_store');
    const help = await call('printer.gcode.help');
    assert.ok(Object.values(help).length > 0 && Object.values(help).every((v) => typeof v === 'string'), 'printer.gcode.help: command → help text');
    assertFields(await call('server.temperature_store'), { 'extruder.temperatures': 'array' }, 'server.temperature_store');

    // The components server.info lists start Fluidd's optional modules.
    const components = info.components as string[];
    // authorization: Fluidd asks who it is; the trusted user uploads and opens files without tokens.
    assert.ok(components.includes('authorization'), 'Fluidd learns the user from access.get_user');
    const user = await call('access.get_user');
    assert.equal(user.username, '_TRUSTED_USER_');
    assertFields(await call('access.users.list'), { users: 'array' }, 'access.users.list');
    assert.equal(typeof (await call('access.get_api_key')), 'string');
    if (components.includes('history')) assertFields(await call('server.history.list', { limit: 50, start: 0, order: 'desc' }), { jobs: 'array', count: 'number' }, 'history');
    if (components.includes('webcam')) assertFields(await call('server.webcams.list'), { webcams: 'array' }, 'webcams');
    if (components.includes('job_queue')) assertFields(await call('server.job_queue.status'), { queued_jobs: 'array', queue_state: 'string' }, 'job_queue');

    // Files: the roots, the extended listing with each gcode file's metadata, the plain list.
    const roots = await call('server.files.roots');
    assertFields(roots, { '[].name': 'string', '[].path': 'string', '[].permissions': 'string' }, 'server.files.roots');
    assert.deepEqual(roots.find((r: J) => r.name === 'gcodes')?.permissions, 'rw');
    const dir = await call('server.files.get_directory', { path: 'gcodes', extended: true });
    assertFields(dir, { 'files[].filename': 'string', 'files[].modified': 'number', 'files[].size': 'number', 'disk_usage.free': 'number', 'root_info.permissions': 'string' }, 'get_directory extended');
    const benchy = (dir.files as J[]).find((f) => f.filename === 'benchy.gcode');
    assertFields(benchy, { slicer: 'string', estimated_time: 'number', 'thumbnails[].relative_path': 'string', 'thumbnails[].size': 'number' }, 'extended file entry');
    assertFields(await call('server.files.list', { root: 'gcodes' }), { '[].path': 'string', '[].modified': 'number' }, 'server.files.list');

    // The trusted user uploads without a token (Fluidd asks for one only for other users)...
    const since = ws.notifications.length;
    const { body, contentType } = multipart([
      { name: 'root', value: 'gcodes' },
      { name: 'path', value: 'fluidd' },
      { name: 'print', value: 'false' },
      { name: 'file', value: 'G28\nG1 X10 F600\n', filename: 'small.gcode' },
    ]);
    const up = await rawRequest(s.url, 'POST', '/server/files/upload', { 'content-type': contentType, 'content-length': body.length }, body);
    assert.equal(up.status, 201);
    assertFields(up.json, { 'item.path': 'string', 'item.root': 'string', action: 'string', print_started: 'boolean' }, 'upload');
    assert.equal(up.headers.location, `${s.url}/server/files/gcodes/fluidd/small.gcode`);
    const n = await ws.waitFor('notify_filelist_changed', (p) => (p?.[0] as J)?.item?.path === 'fluidd/small.gcode', 5000, since);
    assert.equal((n.params![0] as J).action, 'create_file');
    // ...and opens it (the editor, the thumbnail) without a token too.
    const opened = await rawRequest(s.url, 'GET', '/server/files/gcodes/fluidd/small.gcode');
    assert.equal(opened.status, 200);
    assert.equal(opened.body.toString(), 'G28\nG1 X10 F600\n');
    // Another user's upload takes a oneshot token, asked for over the websocket.
    const token = (await call('access.oneshot_token')) as string;
    const second = multipart([{ name: 'root', value: 'gcodes' }, { name: 'file', value: 'G28\n', filename: 'token.gcode' }]);
    const up2 = await rawRequest(s.url, 'POST', `/server/files/upload?token=${token}`, { 'content-type': second.contentType, 'content-length': second.body.length }, second.body);
    assert.equal(up2.status, 201);
    // Fluidd's diagnostics read server.info over HTTP.
    assertFields((await s.http('GET', '/server/info')).body.result, { klippy_state: 'string', components: 'array' }, 'GET /server/info');
  } finally {
    await ws.close();
  }
});
