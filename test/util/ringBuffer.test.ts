import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingBuffer } from '../../src/util/ringBuffer.js';

test('keeps the newest items, oldest first, across many wraps', () => {
  const r = new RingBuffer<number>(3);
  assert.deepEqual(r.toArray(), []);
  r.push(1);
  r.push(2);
  assert.deepEqual(r.toArray(), [1, 2]);
  for (let i = 3; i <= 10; i++) r.push(i);
  assert.deepEqual(r.toArray(), [8, 9, 10]);
  assert.equal(r.length, 3);
  assert.deepEqual(r.last(2), [9, 10]);
  assert.deepEqual(r.last(5), [8, 9, 10]);
  r.clear();
  assert.deepEqual(r.toArray(), []);
  assert.throws(() => new RingBuffer(0));
});
