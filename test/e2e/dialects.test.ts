// Two websocket clients at once, one of 2020 (never identified) and one of today (identified),
// see the same file changes each in its own dialect: replies, notifications, metadata and
// thumbnails. The thumbnail files follow their gcode file when it moves and go when it goes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import type { RpcClient } from '../helpers/rpcClient.js';
import { eventually, upload } from '../helpers/fileClient.js';
import { identify, type J } from '../helpers/clientReplay.js';
import { sample } from '../helpers/gcodeSamples.js';
import { VirtualKlippy } from '../../src/sim/virtualKlippy.js';
import { fileManager } from '../../src/components/file_manager/index.js';

const CTIME = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \w{3} [ 1-3]\d \d\d:\d\d:\d\d \d{4}$/;

let s: Stack;
let old: RpcClient;
let today: RpcClient;

before(async () => {
  s = await startStack();
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
  old = await s.ws();
  today = await s.ws();
  await identify(today, 'mainsail', 'web', '2.18.2');
});
after(() => s.close());

/** The next notify_filelist_changed on `ws` (since `from`) about `path`. */
const changeOf = async (ws: RpcClient, path: string, from: number): Promise<J> =>
  (await ws.waitFor('notify_filelist_changed', (p) => (p?.[0] as J)?.item?.path === path, 5000, from)).params![0];

test('the same changes, each client in its own dialect', async () => {
  const gcode = readFileSync(sample('orcaslicer-2.3.0-beta2.gcode'));
  let from = [old.notifications.length, today.notifications.length] as const;
  const up = await upload(s.url, { filename: 'benchy.gcode', content: gcode });
  assert.equal(up.status, 200, "plain HTTP follows [server] api_dialect (the test stack sets spec)");
  assert.deepEqual(up.json, { result: 'benchy.gcode', print_started: false });
  const [a, b] = await Promise.all([changeOf(old, 'benchy.gcode', from[0]), changeOf(today, 'benchy.gcode', from[1])]);
  assert.equal(a.action, 'upload_file');
  assert.match(a.item.modified, CTIME);
  assert.equal(b.action, 'create_file');
  assert.equal(typeof b.item.modified, 'number');
  assert.equal(b.item.permissions, 'rw');

  // Metadata: inline base64 for 2020, files beside the gcode today.
  const metaOld = await old.call('server.files.metadata', { filename: 'benchy.gcode' });
  const metaToday = await today.call('server.files.metadata', { filename: 'benchy.gcode' });
  assert.match(metaOld.modified, CTIME);
  assert.deepEqual(Object.keys(metaOld.thumbnails[0]).sort(), ['data', 'height', 'size', 'width']);
  assert.equal(typeof metaToday.modified, 'number');
  assert.deepEqual(Object.keys(metaToday.thumbnails[0]).sort(), ['height', 'relative_path', 'size', 'width']);
  for (const t of metaToday.thumbnails as J[]) {
    assert.match(t.relative_path, /^\.thumbs\/benchy-\d+x\d+\.png$/);
    assert.equal(readFileSync(join(s.gcodesPath, t.relative_path)).length, t.size);
  }
  const thumbFiles = (metaToday.thumbnails as J[]).map((t) => t.relative_path as string);
  // Today's list starts with the 32x32 made from the 300x300; 2020's had only the slicer's two.
  assert.deepEqual(thumbFiles, ['.thumbs/benchy-32x32.png', '.thumbs/benchy-96x96.png', '.thumbs/benchy-300x300.png']);
  assert.deepEqual((metaOld.thumbnails as J[]).map((t) => `${t.width}x${t.height}`), ['96x96', '300x300']);
  // Today's fields (values: the golden test); 2020's metadata had only its own.
  assert.match(metaToday.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(metaToday.file_processors, []);
  assert.equal(metaToday.print_start_time, null);
  assert.equal(metaToday.job_id, null);
  assert.deepEqual([metaToday.gcode_start_byte, metaToday.gcode_end_byte], [8702, 1751048]);
  assert.deepEqual([metaToday.nozzle_diameter, metaToday.filament_weight_total, metaToday.layer_count], [0.4, 95.76, 190]);
  assert.deepEqual(
    Object.keys(metaOld).sort(),
    ['estimated_time', 'filament_total', 'filename', 'first_layer_bed_temp', 'first_layer_extr_temp', 'first_layer_height', 'layer_height',
      'modified', 'object_height', 'size', 'slicer', 'slicer_version', 'thumbnails'],
  );

  // Listings: 2020 never had .thumbs; today's clients list it (Mainsail reads it).
  await s.server.kernel.lookup(fileManager).settled();
  const dirOld = await old.call('server.files.get_directory', { path: 'gcodes' });
  const dirToday = await today.call('server.files.get_directory', { path: 'gcodes' });
  assert.ok(!(dirOld.dirs as J[]).some((d) => d.dirname === '.thumbs'));
  assert.ok((dirToday.dirs as J[]).some((d) => d.dirname === '.thumbs'));
  assert.deepEqual(Object.keys(dirOld).sort(), ['dirs', 'files']);
  assert.deepEqual(Object.keys(dirToday).sort(), ['dirs', 'disk_usage', 'files', 'root_info']);
  // The same HTTP request on behalf of the identified socket is answered in its dialect.
  const id = (await today.call('server.websocket.id')).websocket_id;
  const viaHttp = await s.http('GET', `/server/files/directory?path=gcodes&connection_id=${id}`);
  assert.deepEqual(viaHttp.body.result.root_info, { name: 'gcodes', permissions: 'rw' });

  // A folder: "ok" against {item, action}.
  from = [old.notifications.length, today.notifications.length];
  assert.equal(await old.call('server.files.post_directory', { path: 'gcodes/parts' }), 'ok');
  const [na, nb] = await Promise.all([changeOf(old, 'parts', from[0]), changeOf(today, 'parts', from[1])]);
  assert.equal(na.action, 'create_dir');
  assert.equal(nb.action, 'create_dir');
  const made = await today.call('server.files.post_directory', { path: 'gcodes/more' });
  assert.equal(made.action, 'create_dir');
  assert.equal(made.item.path, 'more');

  // A move takes the thumbnails along; the names stay, so relative_path still holds.
  from = [old.notifications.length, today.notifications.length];
  const moved = await today.call('server.files.move', { source: 'gcodes/benchy.gcode', dest: 'gcodes/parts/benchy.gcode' });
  assert.equal(moved.action, 'move_file');
  assert.deepEqual(moved.source_item, { path: 'benchy.gcode', root: 'gcodes' });
  assert.equal(moved.item.path, 'parts/benchy.gcode');
  const [ma, mb] = await Promise.all([changeOf(old, 'parts/benchy.gcode', from[0]), changeOf(today, 'parts/benchy.gcode', from[1])]);
  assert.equal(ma.action, 'move_item');
  assert.deepEqual(ma.source_item, { path: 'benchy.gcode', root: 'gcodes' });
  assert.equal(mb.action, 'move_file');
  for (const rel of thumbFiles) {
    assert.ok(!existsSync(join(s.gcodesPath, rel)), `${rel} left behind`);
    assert.ok(existsSync(join(s.gcodesPath, 'parts', rel)), `${rel} not moved`);
  }
  const movedMeta = await today.call('server.files.metadata', { filename: 'parts/benchy.gcode' });
  assert.deepEqual((movedMeta.thumbnails as J[]).map((t) => t.relative_path), thumbFiles);
  const listed = await today.call('server.files.thumbnails', { filename: 'parts/benchy.gcode' });
  assert.deepEqual((listed as J[]).map((t) => t.thumbnail_path), thumbFiles.map((r) => `parts/${r}`));
  assert.equal((await fetch(`${s.url}/server/files/gcodes/${listed[0].thumbnail_path}`)).status, 200);
  // Named from the file as resolved, however the client spelled it.
  const spelled = await today.call('server.files.thumbnails', { filename: './parts//benchy.gcode' });
  assert.deepEqual(spelled, listed);

  // A copy: copy_item with its source for 2020; today create_file, no source_item.
  from = [old.notifications.length, today.notifications.length];
  assert.equal(await old.call('server.files.copy', { source: 'gcodes/parts/benchy.gcode', dest: 'gcodes/copy.gcode' }), 'ok');
  const [ca, cb] = await Promise.all([changeOf(old, 'copy.gcode', from[0]), changeOf(today, 'copy.gcode', from[1])]);
  assert.equal(ca.action, 'copy_item');
  assert.deepEqual(ca.source_item, { path: 'parts/benchy.gcode', root: 'gcodes' });
  assert.equal(cb.action, 'create_file');
  assert.ok(!('source_item' in cb));
  const again = await today.call('server.files.copy', { source: 'gcodes/parts/benchy.gcode', dest: 'gcodes/copy.gcode' });
  assert.equal(again.action, 'modify_file', 'a copy onto an existing file');

  // metascan parses again and answers the metadata in the caller's dialect, over both transports;
  // every client hears of it as of an upload.
  from = [old.notifications.length, today.notifications.length];
  const scanned = await today.call('server.files.metascan', { filename: 'copy.gcode' });
  assert.equal(scanned.filename, 'copy.gcode');
  assert.equal(typeof scanned.modified, 'number');
  // (The copy's own parse may be heard too: this parse is the one with the reply's uuid.)
  const isScan = (p: unknown) => (p as J[] | undefined)?.[0]?.uuid === scanned.uuid;
  const isCopy = (p: unknown) => (p as J[] | undefined)?.[0]?.filename === 'copy.gcode';
  const [heardOld] = await Promise.all([
    old.waitFor('notify_metadata_update', isCopy, 5000, from[0]),
    today.waitFor('notify_metadata_update', isScan, 5000, from[1]),
  ]);
  assert.match((heardOld.params![0] as J).modified, CTIME);
  assert.match((await s.http('POST', '/server/files/metascan?filename=copy.gcode')).body.result.modified, CTIME);
  assert.equal((await s.http('GET', '/server/files/metascan?filename=nope.gcode')).status, 404);

  // A delete removes the thumbnails with the file.
  from = [old.notifications.length, today.notifications.length];
  const gone = await today.call('server.files.delete_file', { path: 'gcodes/parts/benchy.gcode' });
  assert.deepEqual(gone.action, 'delete_file');
  assert.equal(gone.item.path, 'parts/benchy.gcode');
  assert.equal((await changeOf(old, 'parts/benchy.gcode', from[0])).action, 'delete_file');
  await eventually(() => thumbFiles.every((rel) => !existsSync(join(s.gcodesPath, 'parts', rel))), 5000, 'thumbnails removed');
  assert.equal(await old.call('server.files.delete_file', { path: 'gcodes/copy.gcode' }), 'copy.gcode');

  // All the while the 2020 client heard nothing about .thumbs; today's did.
  await s.server.kernel.lookup(fileManager).settled();
  const about = (ws: RpcClient) => ws.notifications.filter((n) => n.method === 'notify_filelist_changed').map((n) => (n.params![0] as J).item.path as string);
  assert.ok(!about(old).some((p) => p.split('/').includes('.thumbs')), about(old).join(', '));
  assert.ok(about(today).some((p) => p.split('/').includes('.thumbs')));
});

test('server.files.roots lists every available root with its permissions, over both transports', async () => {
  const ws = await today.call('server.files.roots');
  const http = (await s.http('GET', '/server/files/roots')).body.result;
  assert.deepEqual(ws, http);
  assert.deepEqual(ws.find((r: J) => r.name === 'gcodes'), { name: 'gcodes', path: s.gcodesPath, permissions: 'rw' });
  assert.deepEqual(await old.call('server.files.thumbnails', { filename: 'nothing.gcode' }), []);
});

test("a root that moves once Klippy is ready is announced to today's clients only", async (t) => {
  // gcodes is {data_path}/gcodes from the start, as in Moonraker; a Klippy whose
  // [virtual_sdcard] path is elsewhere moves it once ready, and a client that listed files
  // before must learn where the root now is.
  const late = await startStack({ klippyDown: true });
  t.after(() => late.close());
  const spec = await late.ws();
  const current = await late.ws();
  await identify(current, 'mainsail', 'web', '2.18.2');
  assert.deepEqual(await current.call('server.files.list', { root: 'gcodes' }), []);
  const sim = new VirtualKlippy({ socketPath: late.socketPath, gcodesPath: join(late.dir, 'sdcard'), timeScale: 20, startupDelayMs: 50 });
  t.after(() => sim.stop());
  await sim.start();
  // Klippy's folder brings config_examples and docs too; gcodes is the one that moves.
  const n = await current.waitFor('notify_filelist_changed', (p) => (p?.[0] as J)?.action === 'root_update' && (p?.[0] as J)?.item?.root === 'gcodes', 10_000);
  const change = n.params![0] as J;
  assert.deepEqual(change.item.root, 'gcodes');
  assert.equal(change.item.path, '');
  assert.equal(typeof change.item.modified, 'number');
  assert.ok(Array.isArray(await current.call('server.files.list', { root: 'gcodes' })));
  await late.waitReady();
  assert.equal(
    spec.notifications.filter((x) => x.method === 'notify_filelist_changed').length,
    0,
    'the spec had no root_update: its clients are not told',
  );
});
