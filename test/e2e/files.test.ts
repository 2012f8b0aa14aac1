// The spec's file endpoints over HTTP and the websocket, against real folders, with the
// notifications each change sends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient, type Notification } from '../helpers/rpcClient.js';
import { eventually, upload } from '../helpers/fileClient.js';
import { sample } from '../helpers/gcodeSamples.js';
import { logSink } from '../../src/logger.js';
import { fileManager } from '../../src/components/file_manager/index.js';

// Replies and notifications are JSON of many shapes; the assertions check them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

const CTIME = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3]\d \d\d:\d\d:\d\d \d{4}$/;

let s: Stack;
let ws: RpcClient;
let configDir: string;
let gcodes: string;

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'moonstate-config-'));
  writeFileSync(join(configDir, 'printer.cfg'), '[printer]\nkinematics: none\n');
  s = await startStack({ extraConfig: `[file_manager]\nconfig_path: ${configDir}\n` });
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
  gcodes = s.gcodesPath;
  ws = await s.ws();
});
after(async () => {
  await s.close();
  rmSync(configDir, { recursive: true, force: true });
});

const changes = (since: number) =>
  ws.notifications.slice(since).filter((n) => n.method === 'notify_filelist_changed').map((n) => n.params![0] as Record<string, J>);

function waitChange(action: string, path: string, since: number, root = 'gcodes'): Promise<Notification> {
  return ws.waitFor('notify_filelist_changed', (p) => {
    const c = p?.[0] as Record<string, J> | undefined;
    return c?.action === action && c.item?.path === path && c.item?.root === root;
  }, 5000, since);
}

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

test('roots: gcodes from Klippy, config from config_path; absent and unknown roots say why', async () => {
  assert.deepEqual((await s.http('GET', '/server/files/list?root=config')).body.result.map((f: J) => f.filename), ['printer.cfg']);
  const examples = await s.http('GET', '/server/files/list?root=config_examples');
  assert.equal(examples.status, 404);
  assert.match(examples.body.error.message, /config_examples.*not available/);
  const unknown = await s.http('GET', '/server/files/list?root=gcodes_evil');
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.error.message, /Invalid root path \(gcodes_evil\)/);
  const e = await rpcError(ws.call('server.files.list', { root: 'nope' }));
  assert.equal(e.code, 400);
});

test('upload, then list over both transports: gcode files only, subfolders walked, spec fields', async () => {
  const since = ws.notifications.length;
  const up = await upload(s.url, { filename: 'cube.gcode', content: readFileSync(sample('cura-5.9.1.gcode')) });
  assert.equal(up.status, 200);
  assert.deepEqual(up.json, { result: 'cube.gcode', print_started: false });
  const deep = await upload(s.url, { filename: 'deep.gcode', path: 'a/b', content: 'G28\nG1 X10 Y10 Z0.2 E1\n' });
  assert.deepEqual(deep.json, { result: 'a/b/deep.gcode', print_started: false });
  assert.equal((await upload(s.url, { filename: 'notes.txt', content: 'hello' })).status, 200);
  await waitChange('upload_file', 'cube.gcode', since);
  const n = changes(since).find((c) => c.item.path === 'a/b/deep.gcode')!;
  assert.deepEqual(Object.keys(n.item).sort(), ['modified', 'path', 'root', 'size']);
  assert.equal(n.item.size, 23);
  assert.match(n.item.modified, CTIME);

  const list = (await s.http('GET', '/server/files/list')).body.result;
  assert.deepEqual(list.map((f: J) => f.filename), ['a/b/deep.gcode', 'cube.gcode']);
  const cube = list.find((f: J) => f.path === 'cube.gcode');
  assert.equal(cube.size, readFileSync(sample('cura-5.9.1.gcode')).length);
  assert.match(cube.modified, CTIME);
  assert.deepEqual(await ws.call('server.files.list', { root: 'gcodes' }), list);
  assert.deepEqual(await ws.call('server.files.list'), list, 'no params: gcodes');
});

test('get_directory: files and dirs of one folder, both transports; missing folders are 404', async () => {
  mkdirSync(join(gcodes, 'dirtest', 'inner'), { recursive: true });
  writeFileSync(join(gcodes, 'dirtest', 'x.gcode'), 'G28\n');
  writeFileSync(join(gcodes, 'dirtest', 'readme.txt'), 'hi');
  const r = (await s.http('GET', '/server/files/directory?path=gcodes/dirtest')).body.result;
  assert.deepEqual(Object.keys(r).sort(), ['dirs', 'files']);
  assert.deepEqual(r.files.map((f: J) => f.filename).sort(), ['readme.txt', 'x.gcode']);
  assert.deepEqual(Object.keys(r.files[0]).sort(), ['filename', 'modified', 'size']);
  assert.deepEqual(r.dirs.map((d: J) => d.dirname), ['inner']);
  assert.deepEqual(Object.keys(r.dirs[0]).sort(), ['dirname', 'modified']);
  assert.match(r.dirs[0].modified, CTIME);
  assert.deepEqual(await ws.call('server.files.get_directory', { path: 'gcodes/dirtest' }), r);
  const top = await ws.call('server.files.get_directory');
  assert.ok(top.dirs.some((d: J) => d.dirname === 'dirtest'), 'no params: the gcodes root');
  const missing = await s.http('GET', '/server/files/directory?path=gcodes/nope');
  assert.equal(missing.status, 404);
  assert.match(missing.body.error.message, /Directory does not exist/);
  assert.equal((await rpcError(ws.call('server.files.get_directory', { path: 'gcodes/nope' }))).code, 404);
});

test('post_directory and delete_directory: "ok", notifications, force, and the root is kept', async () => {
  let since = ws.notifications.length;
  assert.deepEqual((await s.http('POST', '/server/files/directory?path=gcodes/newdir')).body, { result: 'ok' });
  const created = await waitChange('create_dir', 'newdir', since);
  assert.deepEqual(Object.keys((created.params![0] as J).item).sort(), ['modified', 'path', 'root', 'size']);
  assert.equal(await ws.call('server.files.post_directory', { path: 'gcodes/newdir/child' }), 'ok');
  assert.ok(existsSync(join(gcodes, 'newdir', 'child')));
  const again = await s.http('POST', '/server/files/directory?path=gcodes/newdir');
  assert.equal(again.status, 400);
  assert.match(again.body.error.message, /already exists/);

  writeFileSync(join(gcodes, 'newdir', 'child', 'f.gcode'), 'G28\n');
  const notEmpty = await s.http('DELETE', '/server/files/directory?path=gcodes/newdir');
  assert.equal(notEmpty.status, 400);
  assert.match(notEmpty.body.error.message, /not empty/);
  since = ws.notifications.length;
  assert.equal(await ws.call('server.files.delete_directory', { path: 'gcodes/newdir', force: true }), 'ok');
  await waitChange('delete_dir', 'newdir', since);
  assert.ok(!existsSync(join(gcodes, 'newdir')));
  mkdirSync(join(gcodes, 'empty'));
  assert.deepEqual((await s.http('DELETE', '/server/files/directory?path=gcodes/empty')).body, { result: 'ok' });

  const root = await s.http('DELETE', '/server/files/directory?path=gcodes&force=true');
  assert.equal(root.status, 400);
  assert.match(root.body.error.message, /Cannot delete root directory/);
  assert.ok(existsSync(gcodes));
  assert.equal((await s.http('DELETE', '/server/files/directory?path=gcodes/missing')).status, 404);
});

test('move and copy: "ok", files and folders, into folders, with move_item/copy_item and source_item', async () => {
  writeFileSync(join(gcodes, 'mv.gcode'), 'G28\nG1 X1\n');
  mkdirSync(join(gcodes, 'target'));
  await s.server.kernel.lookup(fileManager).settled();
  let since = ws.notifications.length;
  assert.deepEqual((await s.http('POST', '/server/files/move?source=gcodes/mv.gcode&dest=gcodes/renamed.gcode')).body, { result: 'ok' });
  const moved = (await waitChange('move_item', 'renamed.gcode', since)).params![0] as J;
  assert.deepEqual(moved.source_item, { path: 'mv.gcode', root: 'gcodes' });
  assert.equal(moved.item.size, 10);
  assert.ok(!existsSync(join(gcodes, 'mv.gcode')) && existsSync(join(gcodes, 'renamed.gcode')));

  since = ws.notifications.length;
  assert.equal(await ws.call('server.files.move', { source: 'gcodes/renamed.gcode', dest: 'gcodes/target' }), 'ok');
  await waitChange('move_item', 'target/renamed.gcode', since);
  assert.ok(existsSync(join(gcodes, 'target', 'renamed.gcode')), 'an existing folder as dest: moved into it');

  since = ws.notifications.length;
  assert.equal(await ws.call('server.files.copy', { source: 'gcodes/target', dest: 'gcodes/target2' }), 'ok');
  const copied = (await waitChange('copy_item', 'target2', since)).params![0] as J;
  assert.deepEqual(copied.source_item, { path: 'target', root: 'gcodes' });
  assert.equal(readFileSync(join(gcodes, 'target2', 'renamed.gcode'), 'utf8'), 'G28\nG1 X1\n');
  assert.deepEqual((await s.http('POST', '/server/files/copy?source=gcodes/target/renamed.gcode&dest=config/copied.gcode')).body, { result: 'ok' });
  assert.ok(existsSync(join(configDir, 'copied.gcode')), 'across roots');

  const intoItself = await s.http('POST', '/server/files/move?source=gcodes/target&dest=gcodes/target/sub');
  assert.equal(intoItself.status, 400);
  const missing = await s.http('POST', '/server/files/move?source=gcodes/none.gcode&dest=gcodes/x.gcode');
  assert.equal(missing.status, 404);
  mkdirSync(join(gcodes, 'holder', 'target'), { recursive: true });
  const exists = await rpcError(ws.call('server.files.copy', { source: 'gcodes/target', dest: 'gcodes/holder' }));
  assert.equal(exists.code, 400);
  assert.match(exists.message, /Destination already exists \(gcodes\/holder\/target\)/);
  const noParent = await rpcError(ws.call('server.files.copy', { source: 'gcodes/target/renamed.gcode', dest: 'gcodes/nodir/x.gcode' }));
  assert.equal(noParent.code, 404);
  // A file onto a file: replaced, as shutil.copy2 does.
  assert.equal(await ws.call('server.files.copy', { source: 'gcodes/target/renamed.gcode', dest: 'gcodes/target2/renamed.gcode' }), 'ok');
  assert.equal((await rpcError(ws.call('server.files.copy', { source: 'gcodes/target' }))).code, -32602, 'dest is required');
});

test('delete a file: websocket and HTTP DELETE return the path relative to the root', async () => {
  mkdirSync(join(gcodes, 'del'), { recursive: true });
  writeFileSync(join(gcodes, 'del', 'a.gcode'), 'A');
  writeFileSync(join(gcodes, 'del', 'b.gcode'), 'B');
  writeFileSync(join(configDir, 'c.cfg'), 'C');
  await s.server.kernel.lookup(fileManager).settled();
  const since = ws.notifications.length;
  assert.equal(await ws.call('server.files.delete_file', { path: 'gcodes/del/a.gcode' }), 'del/a.gcode');
  const n = (await waitChange('delete_file', 'del/a.gcode', since)).params![0] as J;
  assert.equal(n.item.root, 'gcodes');
  assert.deepEqual((await s.http('DELETE', '/server/files/gcodes/del/b.gcode')).body, { result: 'del/b.gcode' });
  assert.deepEqual((await s.http('DELETE', '/server/files/config/c.cfg')).body, { result: 'c.cfg' });
  await waitChange('delete_file', 'c.cfg', since, 'config');
  assert.ok(!existsSync(join(gcodes, 'del', 'a.gcode')) && !existsSync(join(gcodes, 'del', 'b.gcode')) && !existsSync(join(configDir, 'c.cfg')));
  assert.equal((await s.http('DELETE', '/server/files/gcodes/del/a.gcode')).status, 404);
  assert.equal((await rpcError(ws.call('server.files.delete_file', { path: 'gcodes/del' }))).code, 400, 'a folder is not a file');
  assert.equal((await s.http('POST', '/server/files/delete_file?path=gcodes/x')).status, 404, 'websocket only');
});

test('download: streamed with type, length, disposition; byte ranges 206 and 416; missing 404', async () => {
  const bytes = readFileSync(sample('prusaslicer-2.7.4_plant-sign.gcode'));
  mkdirSync(join(gcodes, 'dl'), { recursive: true });
  writeFileSync(join(gcodes, 'dl', 'plant sign.gcode'), bytes);
  const res = await fetch(`${s.url}/server/files/gcodes/dl/plant%20sign.gcode`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(res.headers.get('content-length'), String(bytes.length));
  assert.equal(res.headers.get('content-disposition'), 'attachment; filename="plant sign.gcode"');
  assert.equal(res.headers.get('accept-ranges'), 'bytes');
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes));

  const part = await fetch(`${s.url}/server/files/gcodes/dl/plant%20sign.gcode`, { headers: { Range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${bytes.length}`);
  assert.equal(part.headers.get('content-length'), '100');
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200)));
  const tail = await fetch(`${s.url}/server/files/gcodes/dl/plant%20sign.gcode`, { headers: { Range: 'bytes=-10' } });
  assert.ok(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10)));
  const beyond = await fetch(`${s.url}/server/files/gcodes/dl/plant%20sign.gcode`, { headers: { Range: `bytes=${bytes.length}-` } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${bytes.length}`);
  await beyond.arrayBuffer();

  writeFileSync(join(configDir, 'printer.cfg'), '[printer]\n');
  const cfg = await fetch(`${s.url}/server/files/config/printer.cfg`);
  assert.equal(await cfg.text(), '[printer]\n');
  assert.equal((await s.http('GET', '/server/files/gcodes/dl/none.gcode')).status, 404);
  assert.equal((await s.http('GET', '/server/files/gcodes/dl')).status, 400);
  // An unknown root names no file at all (Moonraker: 404), but the rest of the URL stays a path.
  const unknownRoot = await s.http('GET', '/server/files/nope/x.gcode');
  assert.equal(unknownRoot.status, 404);
  assert.equal(unknownRoot.body.error.message, 'File does not exist (nope/x.gcode)');
});

test('klippy.log and moonraker.log are served', async () => {
  const klippyLog = await fetch(`${s.url}/server/files/klippy.log`);
  assert.equal(klippyLog.status, 200);
  assert.match(klippyLog.headers.get('content-disposition')!, /filename="klippy.log"/);
  assert.match(await klippyLog.text(), /\S/);
  assert.equal((await s.http('GET', '/server/files/moonraker.log')).status, 404, 'no log file attached in tests');
  logSink.attachFile(join(s.dir, 'moonstate-test.log'));
  getLoggerLine();
  await eventually(() => existsSync(join(s.dir, 'moonstate-test.log')) && readFileSync(join(s.dir, 'moonstate-test.log'), 'utf8').length > 0);
  const own = await fetch(`${s.url}/server/files/moonraker.log`);
  assert.equal(own.status, 200);
  assert.match(await own.text(), /a line for the log endpoint/);
  await logSink.close();
});

function getLoggerLine() {
  logSink.write('info', 'test', 'a line for the log endpoint');
}

test('metadata: every field with filename, over both transports, announced after an upload', async () => {
  const since = ws.notifications.length;
  const up = await upload(s.url, { filename: 'orca.gcode', path: 'meta', content: readFileSync(sample('orcaslicer-2.3.0-beta2.gcode')) });
  assert.equal(up.status, 200);
  const note = await ws.waitFor('notify_metadata_update', (p) => (p?.[0] as J)?.filename === 'meta/orca.gcode', 10_000, since);
  const m = note.params![0] as J;
  assert.equal(m.slicer, 'OrcaSlicer');
  assert.equal(m.estimated_time, 5563);
  assert.match(m.modified, CTIME);
  assert.equal(m.thumbnails.length, 2);
  const http = (await s.http('GET', '/server/files/metadata?filename=meta/orca.gcode')).body.result;
  assert.deepEqual(http, m);
  assert.equal(http.size, readFileSync(sample('orcaslicer-2.3.0-beta2.gcode')).length);
  for (const k of ['filename', 'size', 'modified', 'slicer', 'slicer_version', 'first_layer_height', 'layer_height', 'object_height',
    'estimated_time', 'filament_total', 'first_layer_bed_temp', 'first_layer_extr_temp', 'thumbnails']) assert.ok(k in http, k);
  assert.deepEqual(Object.keys(http.thumbnails[0]).sort(), ['data', 'height', 'size', 'width']);
  assert.deepEqual(await ws.call('server.files.metadata', { filename: 'meta/orca.gcode' }), m);
});

test('metadata of a file nobody parsed yet is parsed on demand; a missing file is 404', async () => {
  // Written and asked for at once: the watcher has not seen it yet.
  writeFileSync(join(gcodes, 'ondemand.gcode'), readFileSync(sample('superslicer-2.3.56.gcode')));
  const r = await s.http('GET', '/server/files/metadata?filename=ondemand.gcode');
  assert.equal(r.status, 200);
  assert.equal(r.body.result.slicer, 'SuperSlicer');
  assert.equal(r.body.result.filename, 'ondemand.gcode');
  const missing = await s.http('GET', '/server/files/metadata?filename=nothere.gcode');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.message, 'Metadata not available for nothere.gcode');
  assert.equal((await rpcError(ws.call('server.files.metadata', { filename: 'nothere.gcode' }))).code, 404);
  // A corrupt file gives what can be read, not an error.
  writeFileSync(join(gcodes, 'junk.gcode'), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256)));
  const junk = await s.http('GET', '/server/files/metadata?filename=junk.gcode');
  assert.equal(junk.status, 200);
  assert.equal(junk.body.result.slicer, 'Unknown');
  assert.equal(junk.body.result.size, 70_000);
});

test('changes made by hand are announced like our own; our own operations are announced once', async () => {
  await s.server.kernel.lookup(fileManager).settled();
  let since = ws.notifications.length;
  mkdirSync(join(gcodes, 'byhand'));
  await waitChange('create_dir', 'byhand', since);
  writeFileSync(join(gcodes, 'byhand', 'dropped.gcode'), readFileSync(sample('cura-4.10.0.gcode')));
  const added = (await waitChange('upload_file', 'byhand/dropped.gcode', since)).params![0] as J;
  assert.equal(added.item.size, readFileSync(sample('cura-4.10.0.gcode')).length);
  await ws.waitFor('notify_metadata_update', (p) => (p?.[0] as J)?.filename === 'byhand/dropped.gcode', 10_000, since);
  rmSync(join(gcodes, 'byhand', 'dropped.gcode'));
  await waitChange('delete_file', 'byhand/dropped.gcode', since);
  rmSync(join(gcodes, 'byhand'), { recursive: true });
  await waitChange('delete_dir', 'byhand', since);
  writeFileSync(join(configDir, 'extra.cfg'), 'x');
  await waitChange('upload_file', 'extra.cfg', since, 'config');

  // Our own: one notification each, even after the watcher has seen the disk change.
  since = ws.notifications.length;
  await upload(s.url, { filename: 'once.gcode', content: 'G28\n' });
  await s.http('POST', '/server/files/directory?path=gcodes/oncedir');
  await s.http('POST', '/server/files/copy?source=gcodes/once.gcode&dest=gcodes/oncedir/copy.gcode');
  await s.http('POST', '/server/files/move?source=gcodes/oncedir&dest=gcodes/oncedir2');
  await s.http('DELETE', '/server/files/gcodes/once.gcode');
  await s.http('DELETE', '/server/files/directory?path=gcodes/oncedir2&force=true');
  await new Promise((r) => setTimeout(r, 600));
  await s.server.kernel.lookup(fileManager).settled();
  assert.deepEqual(
    changes(since).map((c) => `${c.action} ${c.item.path}`),
    ['upload_file once.gcode', 'create_dir oncedir', 'copy_item oncedir/copy.gcode', 'move_item oncedir2', 'delete_file once.gcode', 'delete_dir oncedir2'],
  );
});
