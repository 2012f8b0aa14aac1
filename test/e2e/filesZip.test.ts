// server.files.zip as Mainsail, Fluidd and Mobileraker call it: files and folders of several roots
// into one archive, checked by unzipping it with the system's unzip. Links that lead out of a
// root, bad paths and bad destinations are refused with the right status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import type { RpcClient } from '../helpers/rpcClient.js';
import { identify, type J } from '../helpers/clientReplay.js';
import { sample } from '../helpers/gcodeSamples.js';
import { fileManager } from '../../src/components/file_manager/index.js';

let s: Stack;
let today: RpcClient;
let configDir: string;
let outside: string;

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'moonstate-zipcfg-'));
  outside = mkdtempSync(join(tmpdir(), 'moonstate-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'not yours\n');
  writeFileSync(join(configDir, 'printer.cfg'), '[printer]\nkinematics: none\n');
  s = await startStack({ extraConfig: `[file_manager]\nconfig_path: ${configDir}\n` });
  await s.waitReady();
  const g = s.gcodesPath;
  writeFileSync(join(g, 'a.gcode'), readFileSync(sample('cura-5.9.1.gcode')));
  mkdirSync(join(g, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(g, 'sub', 'b.gcode'), readFileSync(sample('orcaslicer-2.3.0-beta2.gcode')));
  writeFileSync(join(g, 'sub', 'notes.txt'), 'hello\n');
  writeFileSync(join(g, 'sub', 'deeper', 'd.gcode'), 'G28\n');
  // A link in the folder that leads out of the root, and one that stays inside.
  symlinkSync(join(outside, 'secret.txt'), join(g, 'sub', 'leak.txt'));
  symlinkSync(join(g, 'a.gcode'), join(g, 'sub', 'alias.gcode'));
  await s.server.kernel.lookup(fileManager).settled();
  today = await s.ws();
  await identify(today, 'mainsail', 'web', '2.18.2');
});
after(async () => {
  await s.close();
  rmSync(configDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** Unzips `zip` into a fresh folder with the system's unzip; returns the folder. */
function unzip(zip: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-unzipped-'));
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  return dir;
}

const listing = (zip: string) => execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n').sort();

test('files and folders of two roots into one archive: reply, notification, and the bytes unzipped', async () => {
  const from = today.notifications.length;
  const r = await s.http('POST', '/server/files/zip', { items: ['gcodes/a.gcode', 'gcodes/sub', 'config/printer.cfg', 'gcodes/a.gcode'], dest: 'gcodes/out.zip' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const { destination, action } = r.body.result;
  assert.equal(action, 'zip_files');
  assert.deepEqual(Object.keys(destination).sort(), ['modified', 'path', 'permissions', 'root', 'size']);
  assert.deepEqual([destination.root, destination.path, destination.permissions], ['gcodes', 'out.zip', 'rw']);
  const zip = join(s.gcodesPath, 'out.zip');
  assert.equal(readFileSync(zip).length, destination.size);
  const heard = await today.waitFor('notify_filelist_changed', (p) => (p?.[0] as J)?.item?.path === 'out.zip', 5000, from);
  assert.equal((heard.params![0] as J).action, 'create_file');

  // A folder gives the files directly in it (as Moonraker): not deeper/, not the link out of the
  // root; the link inside the root is the same file as a.gcode and is stored once; a.gcode
  // named twice is stored once.
  assert.deepEqual(listing(zip), ['config/printer.cfg', 'gcodes/a.gcode', 'gcodes/sub/b.gcode', 'gcodes/sub/notes.txt']);
  const dir = unzip(zip);
  try {
    assert.ok(readFileSync(join(dir, 'gcodes', 'a.gcode')).equals(readFileSync(sample('cura-5.9.1.gcode'))));
    assert.ok(readFileSync(join(dir, 'gcodes', 'sub', 'b.gcode')).equals(readFileSync(sample('orcaslicer-2.3.0-beta2.gcode'))));
    assert.equal(readFileSync(join(dir, 'config', 'printer.cfg'), 'utf8'), '[printer]\nkinematics: none\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Deflated by default; store_only stores.
  assert.match(execFileSync('unzip', ['-v', zip], { encoding: 'utf8' }), /Defl:/);
  const stored = await today.call('server.files.zip', { items: ['gcodes/sub/b.gcode'], dest: 'gcodes/stored.zip', store_only: true });
  assert.equal(stored.destination.path, 'stored.zip');
  const verbose = execFileSync('unzip', ['-v', join(s.gcodesPath, 'stored.zip')], { encoding: 'utf8' });
  assert.match(verbose, /Stored/);
  assert.doesNotMatch(verbose, /Defl:/);
  // No temp file is left in the folder.
  assert.deepEqual(readdirSync(s.gcodesPath).filter((f) => f.startsWith('.moonstate-')), []);
});

test('without dest, the archive is config/collection-<local time>.zip', async () => {
  const r = await today.call('server.files.zip', { items: ['gcodes/sub/notes.txt'] });
  assert.equal(r.destination.root, 'config');
  assert.match(r.destination.path, /^collection-\d{8}-\d{6}\.zip$/);
  assert.deepEqual(listing(join(configDir, r.destination.path)), ['gcodes/sub/notes.txt']);
});

test('refused: links out of the root, paths outside, missing items, bad destinations, no items', async () => {
  const call = (body: Record<string, unknown>) => s.http('POST', '/server/files/zip', body);
  const leak = await call({ items: ['gcodes/sub/leak.txt'], dest: 'gcodes/x.zip' });
  assert.equal(leak.status, 403);
  assert.ok(!JSON.stringify(leak.body).includes(outside), 'no absolute server path in the error');
  assert.equal((await call({ items: ['gcodes/../../etc/passwd'], dest: 'gcodes/x.zip' })).status, 403);
  assert.equal((await call({ items: ['gcodes/nope.gcode'], dest: 'gcodes/x.zip' })).status, 404);
  assert.equal((await call({ items: ['nowhere/a.gcode'], dest: 'gcodes/x.zip' })).status, 400, 'no such root');
  assert.equal((await call({ items: ['gcodes/a.gcode'], dest: 'gcodes/sub' })).status, 400, 'dest is a folder');
  assert.equal((await call({ items: ['gcodes/a.gcode'], dest: 'gcodes/none/x.zip' })).status, 400, 'no parent folder');
  assert.equal((await call({ items: ['gcodes/a.gcode'], dest: 'gcodes/../x.zip' })).status, 403);
  assert.equal((await call({ items: [], dest: 'gcodes/x.zip' })).status, 400);
  assert.equal((await call({ items: [1, 2], dest: 'gcodes/x.zip' })).status, 400);
  assert.equal((await call({ dest: 'gcodes/x.zip' })).status, 400);
  // A destination through a link that leads out of the root.
  symlinkSync(outside, join(s.gcodesPath, 'out-link'));
  assert.equal((await call({ items: ['gcodes/a.gcode'], dest: 'gcodes/out-link/x.zip' })).status, 403);
  assert.deepEqual(readdirSync(outside), ['secret.txt'], 'nothing written outside');
  assert.ok(!readdirSync(s.gcodesPath).includes('x.zip'));
  // Over the websocket, a bad items list is invalid params.
  await assert.rejects(today.call('server.files.zip', { items: 'gcodes/a.gcode,gcodes/sub/notes.txt'.length }), /items/);
});
