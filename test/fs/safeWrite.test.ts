// The one primitive for writes inside a root, on real folders and symlinks in a temp dir, with
// the attacker's move made at the worst moment: after the check, before the write.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyOver, derivedDir, openInRoot, pinPath, replaceFile, withPinned } from '../../src/fs/safeWrite.js';
import { ServerError } from '../../src/shared/errors.js';

let dir: string;
let root: string;
let elsewhere: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'moonstate-safewrite-'));
  root = join(dir, 'gcodes');
  elsewhere = join(dir, 'elsewhere');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'victim'), 'victim\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const victimIntact = () => assert.equal(readFileSync(join(elsewhere, 'victim'), 'utf8'), 'victim\n');

test('derivedDir: makes a real folder; refuses a symlinked one, a folder outside the root, and odd names', async () => {
  const made = await derivedDir(root, join(root, 'sub'), ['.thumbs'], true);
  assert.ok(made);
  await made.close();
  assert.ok(lstatSync(join(root, 'sub', '.thumbs')).isDirectory());
  mkdirSync(join(root, 'linked'));
  symlinkSync(elsewhere, join(root, 'linked', '.thumbs'));
  assert.equal(await derivedDir(root, join(root, 'linked'), ['.thumbs'], true), undefined);
  assert.equal(await derivedDir(root, elsewhere, ['.thumbs'], true), undefined);
  assert.ok(!existsSync(join(elsewhere, '.thumbs')));
  for (const seg of ['..', '.', '', 'a/b', 'a\0b']) assert.equal(await derivedDir(root, root, [seg], true), undefined, JSON.stringify(seg));
});

test('replaceFile and copyOver replace a planted link instead of writing through it', async () => {
  symlinkSync(join(elsewhere, 'victim'), join(root, 'sub', 'thumb.png'));
  await replaceFile(join(root, 'sub'), 'thumb.png', Buffer.from('ours'));
  victimIntact();
  assert.equal(readFileSync(join(root, 'sub', 'thumb.png'), 'utf8'), 'ours');
  symlinkSync(join(elsewhere, 'victim'), join(root, 'sub', 'copy.gcode'));
  writeFileSync(join(root, 'src.gcode'), 'G28\n');
  await copyOver(join(root, 'src.gcode'), join(root, 'sub', 'copy.gcode'));
  victimIntact();
  assert.equal(readFileSync(join(root, 'sub', 'copy.gcode'), 'utf8'), 'G28\n');
  assert.deepEqual(readdirSync(join(root, 'sub')).filter((n) => n.startsWith('.moonstate-upload-')), []);
});

test('a folder swapped for a symlink out of the root after the check: the write, rename and delete stay in the folder that was checked', { skip: !existsSync('/proc/self/fd') && 'needs /proc' }, async () => {
  mkdirSync(join(root, 'swap'));
  writeFileSync(join(root, 'swap', 'victim'), 'ours to delete\n');
  const derived = await derivedDir(root, root, ['swap'], false);
  assert.ok(derived);
  await withPinned(root, join(root, 'swap', 'victim'), async (at) => {
    // The attacker's move, after every check: the folder goes, a link out takes its name.
    renameSync(join(root, 'swap'), join(root, 'swapped'));
    symlinkSync(elsewhere, join(root, 'swap'));
    await writeFile(join(at.dir, 'new.gcode'), 'G28\n', { flag: 'wx' });
    await rename(join(at.dir, 'new.gcode'), join(derived.path, 'renamed.gcode'));
    await unlink(at.path);
  });
  await derived.close();
  victimIntact();
  assert.deepEqual(readdirSync(elsewhere), ['victim']);
  assert.deepEqual(readdirSync(join(root, 'swapped')).sort(), ['renamed.gcode']);
  // And a folder that leads out when it is pinned is refused.
  await assert.rejects(pinPath(root, join(root, 'swap', 'x.gcode')), (e: unknown) => e instanceof ServerError && e.kind === 'forbidden');
});

test('openInRoot, the download side: what was resolved is what is opened; a file or folder swapped for a link out of the root after the check is refused', { skip: !existsSync('/proc/self/fd') && 'needs /proc' }, async () => {
  writeFileSync(join(root, 'sub', 'part.gcode'), 'G28\n');
  const fh = await openInRoot(root, join(root, 'sub', 'part.gcode'));
  assert.equal((await fh.readFile('utf8')), 'G28\n');
  await fh.close();
  // The name now leads out of the root (a link moved into place after the path was resolved).
  symlinkSync(join(elsewhere, 'victim'), join(root, 'sub', 'swapped.gcode'));
  await assert.rejects(openInRoot(root, join(root, 'sub', 'swapped.gcode')), (e: unknown) => e instanceof ServerError && e.kind === 'forbidden');
  // A folder on the way now leads out of the root.
  writeFileSync(join(elsewhere, 'inner.gcode'), 'secret\n');
  symlinkSync(elsewhere, join(root, 'moved'));
  await assert.rejects(openInRoot(root, join(root, 'moved', 'inner.gcode')), (e: unknown) => e instanceof ServerError && e.kind === 'forbidden');
  // A link that stays inside the root is followed, as reads through links always were.
  symlinkSync(join(root, 'sub', 'part.gcode'), join(root, 'alias.gcode'));
  const alias = await openInRoot(root, join(root, 'alias.gcode'));
  assert.equal((await alias.readFile('utf8')), 'G28\n');
  await alias.close();
});
