// The streaming multipart reader: however the body is cut into chunks, fields and file bytes
// come out the same; broken bodies are errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MultipartReader, boundaryOf, dispositionParams } from '../../src/fs/multipart.js';
import { tooLarge } from '../../src/shared/errors.js';

const FILE_TOO_LARGE = 'file over the test limit';
import { multipart } from '../helpers/fileClient.js';

function read(body: Buffer, boundary: string, cuts: number[], maxFileBytes = 1e9) {
  const fields: Record<string, string> = {};
  const files: Array<{ name: string; filename: string | undefined; data: Buffer; ended: boolean }> = [];
  const reader = new MultipartReader(boundary, {
    field: (n, v) => (fields[n] = v),
    fileBegin: (p) => {
      const f = { name: p.name, filename: p.filename, data: Buffer.alloc(0), ended: false };
      files.push(f);
      return { write: (c) => ((f.data = Buffer.concat([f.data, c])), true), end: () => (f.ended = true) };
    },
  }, { maxFileBytes, fileTooLarge: () => tooLarge(FILE_TOO_LARGE) });
  let at = 0;
  for (const c of [...cuts, body.length]) {
    reader.write(body.subarray(at, c));
    at = c;
  }
  reader.end();
  return { fields, files };
}

test('every way of cutting the body into two or three chunks gives the same parts', () => {
  // File content that looks like the delimiter's beginning, to tempt a wrong match.
  const content = Buffer.concat([Buffer.from('\r\n--not-the-boundary\r\n-'), randomBytes(40), Buffer.from('\r\n--')]);
  const { body, contentType } = multipart([
    { name: 'root', value: 'gcodes' },
    { name: 'file', value: content, filename: 'a b.gcode' },
    { name: 'print', value: 'true' },
  ]);
  const boundary = boundaryOf(contentType)!;
  for (let i = 0; i <= body.length; i++) {
    for (const j of [i, Math.min(body.length, i + 1), Math.min(body.length, i + 7)]) {
      const r = read(body, boundary, [i, j]);
      assert.deepEqual(r.fields, { root: 'gcodes', print: 'true' }, `cut at ${i},${j}`);
      assert.equal(r.files.length, 1);
      assert.equal(r.files[0]!.filename, 'a b.gcode');
      assert.ok(r.files[0]!.data.equals(content), `cut at ${i},${j}`);
      assert.ok(r.files[0]!.ended);
    }
  }
});

test('a body that ends early, bad boundary lines, parts without names are errors; size is capped', () => {
  const { body, contentType } = multipart([{ name: 'file', value: 'x'.repeat(100), filename: 'a.gcode' }]);
  const boundary = boundaryOf(contentType)!;
  assert.throws(() => read(body.subarray(0, body.length - 10), boundary, []), /ended before the closing boundary/);
  assert.throws(() => read(Buffer.from(`--${boundary}XX\r\n`), boundary, []), /bad boundary line/);
  assert.throws(() => read(Buffer.from(`--${boundary}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${boundary}--`), boundary, []), /Content-Disposition/);
  assert.throws(() => read(body, boundary, [], 99), (e: Error) => e.message === FILE_TOO_LARGE);
  assert.equal(read(body, boundary, [], 100).files[0]!.data.length, 100);
});

test('Content-Type boundaries and Content-Disposition parameters', () => {
  assert.equal(boundaryOf('multipart/form-data; boundary=abc'), 'abc');
  assert.equal(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b');
  assert.equal(boundaryOf('application/json'), undefined);
  assert.equal(boundaryOf('multipart/form-data'), undefined);
  assert.deepEqual(dispositionParams('form-data; name="file"; filename="a \\"q\\".gcode"'), { name: 'file', filename: 'a "q".gcode' });
  assert.deepEqual(dispositionParams("form-data; name=file; filename*=UTF-8''w%C3%BCrfel.gcode"), { name: 'file', 'filename*': 'würfel.gcode' });
});
