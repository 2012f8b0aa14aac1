// The spec dialect's shapes: ctime strings, list entries, notifications.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ctime, filelistChangedParams, listEntry, uploadBody } from '../../src/fs/fileShapes.js';
import { contentDisposition, parseRange } from '../../src/fs/download.js';

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

test('list entries carry filename (the spec) and path (today\'s clients); notifications and uploads', () => {
  const e = listEntry('sub/a.gcode', { size: 10, modified: 0 }, 'spec');
  assert.equal(e.filename, 'sub/a.gcode');
  assert.equal(e.path, 'sub/a.gcode');
  assert.equal(typeof e.modified, 'string');
  const change = { action: 'move_item' as const, item: { root: 'gcodes', path: 'b/a.gcode', size: 3, modified: 0 }, source: { root: 'gcodes', path: 'a.gcode' } };
  const n = filelistChangedParams(change, 'spec');
  assert.deepEqual(Object.keys(n), ['action', 'item', 'source_item']);
  assert.deepEqual(n.source_item, { path: 'a.gcode', root: 'gcodes' });
  assert.deepEqual(uploadBody(change, false, 'spec'), { result: 'b/a.gcode', print_started: false });
  assert.deepEqual(uploadBody(change, undefined, 'spec'), { result: 'b/a.gcode' });
});

test('byte ranges: single ranges, suffixes, open ends; unsatisfiable ones are "invalid"', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), 'invalid');
  assert.equal(parseRange('bytes=-0', 100), 'invalid');
  assert.equal(parseRange(undefined, 100), null);
  assert.equal(parseRange('bytes=0-1,5-6', 100), null, 'several ranges: the whole file');
  assert.equal(parseRange('items=0-1', 100), null);
});

test('Content-Disposition names the file, with an RFC 5987 form when needed', () => {
  assert.equal(contentDisposition('a.gcode'), 'attachment; filename="a.gcode"');
  assert.equal(contentDisposition('würfel.gcode'), `attachment; filename="w_rfel.gcode"; filename*=UTF-8''w%C3%BCrfel.gcode`);
  assert.match(contentDisposition('a"b.gcode'), /filename="a_b.gcode"; filename\*=UTF-8''a%22b.gcode/);
});
