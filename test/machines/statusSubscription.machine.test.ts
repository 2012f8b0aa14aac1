// The status subscription machine on its own: every state reachable, the tags along every
// shortest path, and the read-your-writes rule (a write acknowledged makes the cache stale until
// Klippy produces data after it; a reply to a request sent before it does not count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { statusSubscriptionMachine as machine, type StatusSubscriptionEvent } from '../../src/machines/statusSubscription.machine.js';
import { leafNames } from '../helpers/machineEvents.js';

const events: StatusSubscriptionEvent[] = [
  { type: 'SUBSCRIBE_SENT' },
  { type: 'SUBSCRIBED', through: 0 },
  { type: 'SUBSCRIBE_FAILED' },
  { type: 'KLIPPY_LOST' },
  { type: 'WRITE_ACKED' },
  { type: 'STATUS_RECEIVED' },
  { type: 'REFRESHED', through: 0 },
];
// The write counter would make the state space infinite: a state is its value and whether the
// cache has caught up.
const serializeState = (s: AnyMachineSnapshot) => JSON.stringify([s.value, s.context.freshThrough >= s.context.acked]);
const paths = getShortestPaths(machine, { events, serializeState });

function replay(evs: readonly StatusSubscriptionEvent[]) {
  let [snap] = initialTransition(machine);
  for (const ev of evs) [snap] = transition(machine, snap, ev);
  return snap;
}
const leaf = (snap: AnyMachineSnapshot) => leafNames(snap.value)[0];

test('every state is reachable', () => {
  const reached = new Set(paths.map((p) => leafNames(p.state.value)[0]));
  assert.deepEqual([...reached].sort(), ['active.fresh', 'active.stale', 'lost', 'none', 'restoring', 'resubscribing', 'subscribing']);
});

test('along every shortest path: the union is live only in active and resubscribing, the cache fresh only in active.fresh', () => {
  for (const p of paths) {
    const snap = replay(p.steps.map((s) => s.event));
    const state = leaf(snap)!;
    assert.equal(state, leafNames(p.state.value)[0]);
    assert.equal(snap.hasTag('unionLive'), state.startsWith('active') || state === 'resubscribing', state);
    assert.equal(snap.hasTag('cacheFresh'), state === 'active.fresh', state);
    // Fresh means caught up with every acknowledged write.
    if (snap.hasTag('cacheFresh')) assert.ok(snap.context.freshThrough >= snap.context.acked, state);
  }
});

test('lifecycle: subscribe, resubscribe on a new union, lose Klippy, restore it', () => {
  const steps: Array<[StatusSubscriptionEvent, string]> = [
    [{ type: 'SUBSCRIBE_SENT' }, 'subscribing'],
    [{ type: 'SUBSCRIBED', through: 0 }, 'active.fresh'],
    [{ type: 'SUBSCRIBE_SENT' }, 'resubscribing'],
    [{ type: 'SUBSCRIBED', through: 0 }, 'active.fresh'],
    [{ type: 'KLIPPY_LOST' }, 'lost'],
    [{ type: 'SUBSCRIBE_SENT' }, 'restoring'],
    [{ type: 'SUBSCRIBED', through: 0 }, 'active.fresh'],
  ];
  let [snap] = initialTransition(machine);
  assert.equal(leaf(snap), 'none');
  for (const [ev, to] of steps) {
    [snap] = transition(machine, snap, ev);
    assert.equal(leaf(snap), to, ev.type);
  }
});

test('a failed subscribe: none again at first, lost again when restoring, the old union kept when resubscribing', () => {
  assert.equal(leaf(replay([{ type: 'SUBSCRIBE_SENT' }, { type: 'SUBSCRIBE_FAILED' }])), 'none');
  assert.equal(leaf(replay([{ type: 'SUBSCRIBE_SENT' }, { type: 'KLIPPY_LOST' }, { type: 'SUBSCRIBE_SENT' }, { type: 'SUBSCRIBE_FAILED' }])), 'lost');
  const kept = replay([{ type: 'SUBSCRIBE_SENT' }, { type: 'SUBSCRIBED', through: 0 }, { type: 'SUBSCRIBE_SENT' }, { type: 'SUBSCRIBE_FAILED' }]);
  assert.equal(leaf(kept), 'active.stale');
  assert.ok(kept.hasTag('unionLive'));
});

test('read-your-writes: stale after a write until Klippy reports after it', () => {
  const live: StatusSubscriptionEvent[] = [{ type: 'SUBSCRIBE_SENT' }, { type: 'SUBSCRIBED', through: 0 }];
  // A status update arriving after the acknowledgement was produced after it.
  assert.equal(leaf(replay([...live, { type: 'WRITE_ACKED' }])), 'active.stale');
  assert.equal(leaf(replay([...live, { type: 'WRITE_ACKED' }, { type: 'STATUS_RECEIVED' }])), 'active.fresh');
  // A refresh sent after the write (through 1) makes it fresh; one sent before (through 0) not.
  assert.equal(leaf(replay([...live, { type: 'WRITE_ACKED' }, { type: 'REFRESHED', through: 1 }])), 'active.fresh');
  assert.equal(leaf(replay([...live, { type: 'WRITE_ACKED' }, { type: 'REFRESHED', through: 0 }])), 'active.stale');
  // Two writes, a refresh sent between them: still stale; a refresh after both: fresh.
  const two: StatusSubscriptionEvent[] = [...live, { type: 'WRITE_ACKED' }, { type: 'WRITE_ACKED' }];
  assert.equal(leaf(replay([...two, { type: 'REFRESHED', through: 1 }])), 'active.stale');
  assert.equal(leaf(replay([...two, { type: 'REFRESHED', through: 1 }, { type: 'REFRESHED', through: 2 }])), 'active.fresh');
  // A write acknowledged while a new union is on its way: its reply, sent before, is stale.
  const resub = replay([...live, { type: 'SUBSCRIBE_SENT' }, { type: 'WRITE_ACKED' }, { type: 'SUBSCRIBED', through: 0 }]);
  assert.equal(leaf(resub), 'active.stale');
  // The first union sent after a write is fresh.
  assert.equal(leaf(replay([{ type: 'WRITE_ACKED' }, { type: 'SUBSCRIBE_SENT' }, { type: 'SUBSCRIBED', through: 1 }])), 'active.fresh');
});
