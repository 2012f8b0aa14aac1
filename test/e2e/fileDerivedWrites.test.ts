// The server's own files inside a root (thumbnails in `.thumbs/`, upload temp files) attacked by
// a user with a shell who plants symlinks where the server will write or delete: a link at a
// thumbnail's name, or `.thumbs` itself linked to a folder outside the root. Uploading, rescanning,
// deleting and moving the gcode file must leave everything outside the root untouched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import type { RpcClient } from '../helpers/rpcClient.js';
import { upload } from '../helpers/fileClient.js';
import { sample } from '../helpers/gcodeSamples.js';
import { identify } from '../helpers/clientReplay.js';
import { fileManager } from '../../src/components/file_manager/index.js';

let s: Stack;
let ws: RpcClient;
let gcodes: string;
let elsewhere: string;
const gcode = readFileSync(sample('prusaslicer-2.7.4_plant-sign.gcode'));
/** The thumbnail file names this gcode makes for a file named foo.gcode. */
let thumbNames: string[];

before(async () => {
  s = await startStack();
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
  ws = await s.ws();
  await identify(ws, 'mainsail', 'web', '2.18.2'); // today's client: thumbnails as files
  gcodes = s.gcodesPath;
  elsewhere = join(s.dir, 'elsewhere');
  mkdirSync(elsewhere);
  // Learn the names from a harmless upload in its own folder.
  mkdirSync(join(gcodes, 'probe'));
  await put({ filename: 'foo.gcode', path: 'probe', content: gcode });
  const meta = await ws.call<{ thumbnails: Array<{ relative_path: string }> }>('server.files.metadata', { filename: 'probe/foo.gcode' });
  thumbNames = meta.thumbnails.map((t) => t.relative_path.replace(/^\.thumbs\//, ''));
  assert.ok(thumbNames.length > 0, 'the sample has thumbnails');
});
after(() => s.close());

async function put(args: Parameters<typeof upload>[1]): Promise<void> {
  const r = await upload(s.url, args);
  assert.equal(r.status, 200, r.text);
}

/** Victim files outside the root, one per thumbnail name; returns a snapshot to compare with. */
function plantVictims(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const n of thumbNames) writeFileSync(join(dir, n), `victim ${n}\n`);
  return snapshot(dir);
}
/** Names and contents (victims are short text; anything else shows as its length). */
const snapshot = (dir: string) =>
  JSON.stringify(
    readdirSync(dir)
      .sort()
      .map((n) => {
        const text = readFileSync(join(dir, n), 'latin1');
        return [n, text.startsWith('victim') ? text : `${text.length} bytes of something else`];
      }),
  );

test('a symlink at a thumbnail name: upload and metascan replace the link, never write through it; delete leaves the victim', async () => {
  const victims = join(elsewhere, 'by-name');
  const before = plantVictims(victims);
  mkdirSync(join(gcodes, 'a', '.thumbs'), { recursive: true });
  for (const n of thumbNames) symlinkSync(join(victims, n), join(gcodes, 'a', '.thumbs', n));
  await put({ filename: 'foo.gcode', path: 'a', content: gcode });
  await ws.call('server.files.metadata', { filename: 'a/foo.gcode' });
  assert.equal(snapshot(victims), before);
  for (const n of thumbNames) assert.ok(!lstatSync(join(gcodes, 'a', '.thumbs', n)).isSymbolicLink(), `${n} is our file now`);
  // Planted again, then a rescan and a delete.
  for (const n of thumbNames) {
    rmSync(join(gcodes, 'a', '.thumbs', n));
    symlinkSync(join(victims, n), join(gcodes, 'a', '.thumbs', n));
  }
  await ws.call('server.files.metascan', { filename: 'a/foo.gcode' });
  assert.equal(snapshot(victims), before);
  for (const n of thumbNames) {
    rmSync(join(gcodes, 'a', '.thumbs', n));
    symlinkSync(join(victims, n), join(gcodes, 'a', '.thumbs', n));
  }
  await ws.call('server.files.delete_file', { path: 'gcodes/a/foo.gcode' });
  await s.server.kernel.lookup(fileManager).settled();
  assert.equal(snapshot(victims), before);
});

test('.thumbs linked out of the root: upload, metascan, delete and move write and delete nothing there', async () => {
  const victims = join(elsewhere, 'by-dir');
  const before = plantVictims(victims);
  mkdirSync(join(gcodes, 'b'));
  symlinkSync(victims, join(gcodes, 'b', '.thumbs'));
  await put({ filename: 'foo.gcode', path: 'b', content: gcode });
  const meta = await ws.call<{ thumbnails?: Array<{ relative_path?: string }> }>('server.files.metadata', { filename: 'b/foo.gcode' });
  assert.ok((meta.thumbnails ?? []).every((t) => t.relative_path === undefined), 'no thumbnail file claimed');
  await ws.call('server.files.metascan', { filename: 'b/foo.gcode' });
  assert.equal(snapshot(victims), before);

  // A file whose thumbnails were written for real, then its .thumbs swapped for the link.
  mkdirSync(join(gcodes, 'c'));
  await put({ filename: 'foo.gcode', path: 'c', content: gcode });
  await ws.call('server.files.metadata', { filename: 'c/foo.gcode' });
  renameSync(join(gcodes, 'c', '.thumbs'), join(gcodes, 'c', 'old-thumbs'));
  symlinkSync(victims, join(gcodes, 'c', '.thumbs'));
  await ws.call('server.files.delete_file', { path: 'gcodes/c/foo.gcode' });
  await s.server.kernel.lookup(fileManager).settled();
  assert.equal(snapshot(victims), before, 'delete did not remove through the link');

  // Moving a file with thumbnails into a folder whose .thumbs leads out.
  mkdirSync(join(gcodes, 'd'));
  await put({ filename: 'foo.gcode', path: 'd', content: gcode });
  await ws.call('server.files.metadata', { filename: 'd/foo.gcode' });
  rmSync(join(victims, thumbNames[0]!));
  const without = snapshot(victims);
  await ws.call('server.files.move', { source: 'gcodes/d/foo.gcode', dest: 'gcodes/b/foo.gcode' });
  await s.server.kernel.lookup(fileManager).settled();
  await ws.call('server.files.metadata', { filename: 'b/foo.gcode' });
  assert.equal(snapshot(victims), without, 'move wrote nothing through the link');
  // And out of it: moving the file back must not take the victims along.
  writeFileSync(join(victims, thumbNames[0]!), `victim ${thumbNames[0]}\n`);
  await ws.call('server.files.move', { source: 'gcodes/b/foo.gcode', dest: 'gcodes/d/foo.gcode' });
  await s.server.kernel.lookup(fileManager).settled();
  assert.equal(snapshot(victims), before);
});
