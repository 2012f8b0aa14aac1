// Path resolution against a root, on real folders and symlinks in a temp dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relativeSegments, resolveInRoot, isWithin } from '../../src/fs/safePath.js';
import { ServerError } from '../../src/shared/errors.js';
import { httpStatusOf } from '../../src/transport/errorCodes.js';

let dir: string;
let root: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'moonstate-paths-'));
  root = join(dir, 'gcodes');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(dir, 'gcodes_evil'));
  writeFileSync(join(dir, 'gcodes_evil', 'x.gcode'), 'G28\n');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'link-out.gcode'));
  symlinkSync(dir, join(root, 'dir-out'));
  symlinkSync(join(root, 'sub'), join(root, 'dir-in'));
  symlinkSync(join(dir, 'nowhere'), join(root, 'dangling'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const refused = (status: number, pattern?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ServerError, String(e));
  assert.equal(httpStatusOf(e), status, e.message);
  if (pattern) assert.match(e.message, pattern);
  return true;
};

test('segments: "." and empty parts drop out; "..", absolute paths and NUL bytes are refused', () => {
  assert.deepEqual(relativeSegments('a//b/./c.gcode'), ['a', 'b', 'c.gcode']);
  assert.deepEqual(relativeSegments(''), []);
  assert.deepEqual(relativeSegments('a..b/..c'), ['a..b', '..c'], 'dots inside a name are a name');
  assert.throws(() => relativeSegments('../x'), refused(403, /'\.\.'/));
  assert.throws(() => relativeSegments('a/../../x'), refused(403));
  assert.throws(() => relativeSegments('a/..'), refused(403));
  assert.throws(() => relativeSegments('/etc/passwd'), refused(400, /absolute/));
  assert.throws(() => relativeSegments('C:\\Windows'), refused(400, /absolute/));
  assert.throws(() => relativeSegments('a\0b'), refused(400, /NUL/));
});

test('isWithin compares whole segments: a sibling sharing the prefix is outside', () => {
  assert.ok(isWithin('/x/gcodes', '/x/gcodes'));
  assert.ok(isWithin('/x/gcodes', '/x/gcodes/a/b'));
  assert.ok(!isWithin('/x/gcodes', '/x/gcodes_evil/x.gcode'));
  assert.ok(!isWithin('/x/gcodes', '/x'));
  assert.ok(isWithin('/x/gcodes', '/x/gcodes/..a'));
});

test('resolveInRoot: paths inside the root, existing or not, resolve under it', async () => {
  assert.deepEqual(await resolveInRoot(root, 'sub/new/file.gcode', 'gcodes'), { abs: join(root, 'sub', 'new', 'file.gcode'), rel: 'sub/new/file.gcode' });
  assert.deepEqual(await resolveInRoot(root, '', 'gcodes'), { abs: root, rel: '' });
  // A symlink that stays inside the root is fine.
  assert.equal((await resolveInRoot(root, 'dir-in/x.gcode', 'gcodes')).rel, 'dir-in/x.gcode');
});

test('resolveInRoot refuses symlinks out of the root, dangling links and the sibling prefix', async () => {
  await assert.rejects(resolveInRoot(root, 'link-out.gcode', 'gcodes'), refused(403, /outside root 'gcodes'/));
  await assert.rejects(resolveInRoot(root, 'dir-out/secret.txt', 'gcodes'), refused(403));
  await assert.rejects(resolveInRoot(root, 'dir-out/gcodes_evil/new.gcode', 'gcodes'), refused(403));
  await assert.rejects(resolveInRoot(root, 'dangling', 'gcodes'), refused(403, /leads nowhere/));
  await assert.rejects(resolveInRoot(root, '../gcodes_evil/x.gcode', 'gcodes'), refused(403));
  await assert.rejects(resolveInRoot(root, ['..', 'gcodes_evil', 'x.gcode'], 'gcodes'), refused(403));
});
