// [file_manager] enable_object_processing over the API: an uploaded gcode whose slicer labels
// objects gets Klipper's exclude_object lines after the upload is answered, and its metadata lists
// the processor; a file that declares its objects already is left as it came.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { upload } from '../helpers/fileClient.js';
import { identify } from '../helpers/clientReplay.js';
import type { RpcClient } from '../helpers/rpcClient.js';
import { sample } from '../helpers/gcodeSamples.js';
import { fileManager } from '../../src/components/file_manager/index.js';

let s: Stack;
let today: RpcClient;

before(async () => {
  s = await startStack({ extraConfig: '[file_manager]\nenable_object_processing: true\n' });
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
  today = await s.ws();
  await identify(today, 'mainsail', 'web', '2.18.2');
});
after(() => s.close());

test('an upload labelled by its slicer is processed; its metadata says so and describes the new file', async () => {
  const original = readFileSync(sample('superslicer-2.3.56.gcode'));
  assert.equal((await upload(s.url, { filename: 'cubes.gcode', content: original })).status, 200);
  const meta = await today.call('server.files.metadata', { filename: 'cubes.gcode' });
  assert.deepEqual(meta.file_processors, ['preprocess_cancellation']);
  const onDisk = readFileSync(join(s.gcodesPath, 'cubes.gcode'));
  assert.equal(meta.size, onDisk.length);
  assert.ok(onDisk.length > original.length);
  const text = onDisk.toString('latin1');
  assert.equal((text.match(/^EXCLUDE_OBJECT_DEFINE NAME=/gm) ?? []).length, 4);
  assert.equal((text.match(/^EXCLUDE_OBJECT_START NAME=/gm) ?? []).length, 100);
  // A scan again does not process it twice.
  const again = await today.call('server.files.metascan', { filename: 'cubes.gcode' });
  assert.deepEqual(again.file_processors, ['preprocess_cancellation']);
  assert.ok(readFileSync(join(s.gcodesPath, 'cubes.gcode')).equals(onDisk));
});

test('a file that declares its objects is not touched, and lists no processor', async () => {
  const original = readFileSync(sample('orcaslicer-2.3.0-beta2.gcode'));
  assert.equal((await upload(s.url, { filename: 'orca.gcode', content: original })).status, 200);
  const meta = await today.call('server.files.metadata', { filename: 'orca.gcode' });
  assert.deepEqual(meta.file_processors, []);
  assert.ok(readFileSync(join(s.gcodesPath, 'orca.gcode')).equals(original));
});

test('upload and print: the print starts on the processed file', async () => {
  const r = await upload(s.url, { filename: 'sign.gcode', content: readFileSync(sample('prusaslicer-2.7.4_plant-sign.gcode')), print: 'true' });
  assert.equal(r.status, 200);
  assert.equal((r.json as { print_started: boolean }).print_started, true);
  // By the time the print was started the file had its exclude_object lines.
  const text = readFileSync(join(s.gcodesPath, 'sign.gcode'), 'latin1');
  assert.match(text, /^EXCLUDE_OBJECT_DEFINE NAME=CorianderIndentExample_stl_id_0_copy_0 /m);
  const stats = (await today.call('printer.objects.query', { objects: { print_stats: null, virtual_sdcard: null } })).status;
  assert.equal(stats.print_stats.filename, 'sign.gcode');
  assert.equal(stats.virtual_sdcard.file_size, Buffer.byteLength(text, 'latin1'), 'Klippy prints the processed file');
  await today.call('printer.print.cancel');
});
