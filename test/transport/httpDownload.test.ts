// The HTTP side of downloads: which byte range a Range header asks for, and how the file is named
// to the browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentDisposition, parseRange } from '../../src/transport/httpDownload.js';

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
