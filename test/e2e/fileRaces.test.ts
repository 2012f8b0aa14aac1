// Many clients at once: uploads that create the same new folders concurrently must all land.
// The path resolver once took a folder created by a neighbour between its realpath() and its
// lstat() for a dangling symlink and answered 403.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { upload } from '../helpers/fileClient.js';
import { fileManager } from '../../src/components/file_manager/index.js';

let s: Stack;

before(async () => {
  s = await startStack();
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
});
after(() => s.close());

test('150 concurrent uploads into new nested folders all succeed', async () => {
  const n = 150;
  const paths = Array.from({ length: n }, (_, i) => `race/a${i % 3}/b${i % 7}/c${i % 11}`);
  const replies = await Promise.all(paths.map((path, i) => upload(s.url, { filename: `f${i}.gcode`, path, content: `G28 ; ${i}\n` })));
  const failed = replies.map((r, i) => ({ i, status: r.status, text: r.text })).filter((r) => r.status !== 201 && r.status !== 200);
  assert.deepEqual(failed, []);
  paths.forEach((path, i) => assert.equal(readFileSync(join(s.gcodesPath, path, `f${i}.gcode`), 'utf8'), `G28 ; ${i}\n`));
});
