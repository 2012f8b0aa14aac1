// The file_manager component's replies in both dialects: ctime strings or float seconds, list
// entries, replies, notifications, uploads, metadata and thumbnails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ctime,
  deleteReply,
  directoryReply,
  filelistChangedParams,
  listEntry,
  metadataReply,
  mutationReply,
  thumbnailsReply,
  uploadReply,
} from '../../../src/components/file_manager/fileReplies.js';
import type { FileChange, StoredMetadata } from '../../../src/fs/fileTypes.js';

test('modified is time.ctime() in local time, the day padded with a space', () => {
  const tz = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    assert.equal(ctime(1599651157), 'Wed Sep  9 11:32:37 2020');
    assert.equal(ctime(1606118242.5), 'Mon Nov 23 07:57:22 2020');
    process.env.TZ = 'America/New_York';
    assert.equal(ctime(1599651157), 'Wed Sep  9 07:32:37 2020');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});

const move: FileChange = { action: 'move_file', item: { root: 'gcodes', path: 'b/a.gcode', size: 3, modified: 1600000000.25 }, source: { root: 'gcodes', path: 'a.gcode' } };
const copy: FileChange = { action: 'modify_file', item: { root: 'gcodes', path: 'b/c.gcode', size: 3, modified: 1600000000.25 }, source: { root: 'gcodes', path: 'c.gcode' } };
const upload: FileChange = { action: 'create_file', item: { root: 'gcodes', path: 'sub dir/ä.gcode', size: 5, modified: 1600000000.5 } };

test('spec: list entries carry filename and path; notifications, replies and uploads as in 2020', () => {
  const e = listEntry('sub/a.gcode', { size: 10, modified: 0 }, true, 'spec');
  assert.deepEqual(Object.keys(e).sort(), ['filename', 'modified', 'path', 'size']);
  assert.equal(typeof e.modified, 'string');
  const n = filelistChangedParams(move, 'spec')!;
  assert.deepEqual(Object.keys(n), ['action', 'item', 'source_item']);
  assert.equal(n.action, 'move_item');
  assert.deepEqual(n.source_item, { path: 'a.gcode', root: 'gcodes' });
  assert.equal(filelistChangedParams(copy, 'spec')!.action, 'copy_item');
  assert.equal(filelistChangedParams(upload, 'spec')!.action, 'upload_file');
  assert.equal(filelistChangedParams({ ...upload, action: 'modify_file' }, 'spec')!.action, 'upload_file');
  assert.equal(filelistChangedParams({ ...upload, item: { ...upload.item, path: '.thumbs/a-32x32.png' } }, 'spec'), undefined, 'our thumbnail files are not news to a 2020 client');
  assert.equal(mutationReply(move, 'spec'), 'ok');
  assert.equal(deleteReply({ ...upload, action: 'delete_file' }, 'spec'), 'sub dir/ä.gcode');
  assert.deepEqual(uploadReply(move, false, 'spec'), { body: { result: 'b/a.gcode', print_started: false } }, 'no Location: a plain 200');
  assert.deepEqual(uploadReply(move, undefined, 'spec').body, { result: 'b/a.gcode' });
});

test("current: float modified, permissions, {item, action} replies, source_item only for moves", () => {
  assert.deepEqual(listEntry('sub/a.gcode', { size: 10, modified: 12.5 }, false, 'current'), { path: 'sub/a.gcode', modified: 12.5, size: 10, permissions: 'r' });
  const item = { path: 'b/a.gcode', root: 'gcodes', size: 3, modified: 1600000000.25, permissions: 'rw' };
  assert.deepEqual(mutationReply(move, 'current'), { item, action: 'move_file', source_item: { path: 'a.gcode', root: 'gcodes' } });
  assert.deepEqual(filelistChangedParams(move, 'current'), { item, action: 'move_file', source_item: { path: 'a.gcode', root: 'gcodes' } });
  assert.deepEqual(mutationReply(copy, 'current'), { item: { ...item, path: 'b/c.gcode' }, action: 'modify_file' });
  assert.deepEqual(deleteReply({ action: 'delete_file', item: move.item }, 'current'), { item, action: 'delete_file' });
  assert.equal(filelistChangedParams({ ...upload, item: { ...upload.item, path: '.thumbs/a-32x32.png' } }, 'current')!.action, 'create_file');
});

test('current: an upload names where the file is served (201 Created) and print_started/print_queued in gcodes', () => {
  const r = uploadReply(upload, true, 'current');
  assert.equal(r.location, '/server/files/gcodes/sub%20dir/%C3%A4.gcode');
  assert.deepEqual(r.body, {
    item: { path: 'sub dir/ä.gcode', root: 'gcodes', size: 5, modified: 1600000000.5, permissions: 'rw' },
    action: 'create_file',
    print_started: true,
    print_queued: false,
  });
  const cfg = uploadReply({ action: 'create_file', item: { root: 'config', path: 'a.cfg', size: 1, modified: 1 } }, undefined, 'current');
  assert.deepEqual(Object.keys(cfg.body), ['item', 'action']);
});

const meta: StoredMetadata = {
  size: 100,
  modified: 1600000000.75,
  slicer: 'PrusaSlicer',
  thumbnails: [
    { width: 32, height: 32, size: 8, data: 'iVBORw0K', format: 'png', relative_path: '.thumbs/a-32x32.png', bytes: 6 },
    { width: 300, height: 300, size: 4, data: '/9j/', format: 'jpg' },
  ],
};

test('metadata: inline base64 thumbnails for the spec, files with relative_path today', () => {
  const spec = metadataReply('sub/a.gcode', meta, 'spec');
  assert.equal(typeof spec.modified, 'string');
  assert.deepEqual(spec.thumbnails, [
    { width: 32, height: 32, size: 8, data: 'iVBORw0K' },
    { width: 300, height: 300, size: 4, data: '/9j/' },
  ]);
  const current = metadataReply('sub/a.gcode', meta, 'current');
  assert.equal(current.modified, 1600000000.75);
  assert.equal(current.filename, 'sub/a.gcode');
  assert.deepEqual(current.thumbnails, [{ width: 32, height: 32, size: 6, relative_path: '.thumbs/a-32x32.png' }], 'a thumbnail that could not be written is left out');
  assert.deepEqual(thumbnailsReply('sub/a.gcode', meta), [{ width: 32, height: 32, size: 6, thumbnail_path: 'sub/.thumbs/a-32x32.png' }]);
  assert.deepEqual(thumbnailsReply('a.gcode', meta)[0]!.thumbnail_path, '.thumbs/a-32x32.png');
  assert.deepEqual(thumbnailsReply('a.gcode', undefined), []);
});

test('get_directory: the spec hides .thumbs; today adds sizes, permissions, disk usage, root and metadata', () => {
  const listing = {
    root: { name: 'gcodes', writable: true },
    files: [{ name: 'a.gcode', size: 100, modified: 5.5, metadata: meta }, { name: 'b.txt', size: 1, modified: 6 }],
    dirs: [{ name: '.thumbs', size: 4096, modified: 7 }, { name: 'sub', size: 4096, modified: 8 }],
    diskUsage: { total: 10, used: 4, free: 6 },
  };
  const spec = directoryReply(listing, 'spec');
  assert.deepEqual(spec.dirs, [{ dirname: 'sub', modified: ctime(8) }]);
  assert.deepEqual(spec.files[1], { filename: 'b.txt', size: 1, modified: ctime(6) });
  assert.ok(!('disk_usage' in spec));
  const current = directoryReply(listing, 'current') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(current.dirs.map((d: { dirname: string }) => d.dirname), ['.thumbs', 'sub']);
  assert.deepEqual(current.dirs[1], { modified: 8, size: 4096, permissions: 'rw', dirname: 'sub' });
  assert.deepEqual(current.files[1], { modified: 6, size: 1, permissions: 'rw', filename: 'b.txt' });
  assert.equal(current.files[0].slicer, 'PrusaSlicer');
  assert.equal(current.files[0].modified, 1600000000.75, "the metadata's stat wins, as in Moonraker");
  assert.deepEqual(current.disk_usage, { total: 10, used: 4, free: 6 });
  assert.deepEqual(current.root_info, { name: 'gcodes', permissions: 'rw' });
});

test('root_update: told to today\'s clients with the root\'s permissions, never to the spec\'s', () => {
  const change = { action: 'root_update' as const, item: { root: 'config_examples', path: '', size: 4096, modified: 7.5, readOnly: true } };
  assert.deepEqual(filelistChangedParams(change, 'current'), {
    action: 'root_update',
    item: { path: '', root: 'config_examples', size: 4096, modified: 7.5, permissions: 'r' },
  });
  const gcodes = { action: 'root_update' as const, item: { root: 'gcodes', path: '', size: 4096, modified: 7.5, readOnly: false } };
  assert.equal((filelistChangedParams(gcodes, 'current')?.item as { permissions: string }).permissions, 'rw');
  assert.equal(filelistChangedParams(change, 'spec'), undefined);
});
