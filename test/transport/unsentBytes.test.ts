// The order in which the total backlog bound drops clients: stalled ones first (what they held
// at the previous check is still there), the largest of them first; never more than needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnsentBytes, type BacklogHolder } from '../../src/transport/unsentBytes.js';

const MiB = 1024 * 1024;

class Holder implements BacklogHolder {
  dropped = false;
  constructor(public bufferedAmount: number) {}
  drop(): void {
    this.dropped = true;
    this.bufferedAmount = 0;
  }
}

test('a reader just handed a large reply is not dropped for a stalled client', () => {
  const u = new UnsentBytes(6 * MiB);
  const stalled = new Holder(3 * MiB);
  const reader = new Holder(0);
  u.add(stalled);
  u.add(reader);
  u.enforce();
  assert.equal(u.total(), 3 * MiB);
  reader.bufferedAmount = 5 * MiB; // larger, but new
  u.enforce();
  assert.equal(stalled.dropped, true);
  assert.equal(reader.dropped, false);
  assert.equal(u.dropped, 1);
  assert.equal(u.total(), 5 * MiB);
});

test('among stalled clients the largest go first, and only as many as needed', () => {
  const u = new UnsentBytes(4 * MiB);
  const hs = [1, 3, 2, 1].map((m) => new Holder(m * MiB));
  for (const h of hs) u.add(h);
  u.enforce(); // 7 MiB: nothing is known to be stalled yet, so the largest goes
  assert.deepEqual(hs.map((h) => h.dropped), [false, true, false, false]);
  hs[0]!.bufferedAmount += 1 * MiB;
  u.enforce(); // 5 MiB: the largest that was already there (2 MiB) goes
  assert.deepEqual(hs.map((h) => h.dropped), [false, true, true, false]);
  assert.ok(u.total() <= 4 * MiB);
});
