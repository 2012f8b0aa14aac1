import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtxDecoder, encodeFrame, FrameTooLargeError, ETX } from '../../src/shared/etxFraming.js';

test('encodeFrame writes compact JSON followed by ETX', () => {
  const buf = encodeFrame({ id: 1, method: 'info', params: {} });
  assert.equal(buf.toString('utf8', 0, buf.length - 1), '{"id":1,"method":"info","params":{}}');
  assert.equal(buf[buf.length - 1], ETX);
});

test('decoder yields frames split across chunks, including inside a UTF-8 character', () => {
  const whole = Buffer.concat([encodeFrame({ msg: 'héllo ✓' }), encodeFrame({ n: 2 })]);
  const dec = new EtxDecoder();
  const frames: string[] = [];
  // Feed one byte at a time: every split point, including mid-character, is exercised.
  for (let i = 0; i < whole.length; i++) frames.push(...dec.push(whole.subarray(i, i + 1)));
  assert.deepEqual(frames.map((f) => JSON.parse(f)), [{ msg: 'héllo ✓' }, { n: 2 }]);
  assert.equal(dec.bufferedBytes, 0);
});

test('decoder returns several frames from one chunk and keeps the unfinished tail', () => {
  const dec = new EtxDecoder();
  const frames = dec.push(Buffer.from('{"a":1}\x03{"b":2}\x03{"c"'));
  assert.deepEqual(frames, ['{"a":1}', '{"b":2}']);
  assert.deepEqual(dec.push(Buffer.from(':3}\x03')), ['{"c":3}']);
});

test('decoder refuses a tail larger than its limit, then recovers', () => {
  const dec = new EtxDecoder(8);
  assert.throws(() => dec.push(Buffer.from('0123456789')), FrameTooLargeError);
  assert.deepEqual(dec.push(Buffer.from('{}\x03')), ['{}']);
});
