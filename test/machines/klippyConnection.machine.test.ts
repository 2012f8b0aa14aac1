// The connection machine on its own: every state reachable, what each shortest path announces,
// and the rules clients depend on (ready only after initializing, disconnected announced from
// every connected state, client_info sent once, reconnect pacing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromCallback, fromPromise, initialTransition, SimulatedClock, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import {
  klippyConnectionMachine as machine,
  FAST_RETRIES,
  POLL_INTERVAL_MS,
  reportedKlippyState,
  reportedStateMessage,
  INITIALIZING_MESSAGE,
  type KlippyConnectionEvent,
} from '../../src/machines/klippyConnection.machine.js';
import type { KlippyInfo, KlippyState } from '../../src/shared/klippyProtocol.js';
import { eventsIn, leafNames } from '../helpers/machineEvents.js';

const input = { socketPath: '/tmp/none.sock', clientInfo: { program: 'Moonraker', version: 'test' } };
const info = (state: KlippyState): KlippyInfo => ({
  state,
  state_message: `Klippy is ${state}`,
  hostname: 'h',
  klipper_path: '',
  python_path: '',
  log_file: '',
  config_file: '',
  software_version: 'v0',
  cpu_info: '',
});
const STATES: KlippyState[] = ['startup', 'ready', 'error', 'shutdown'];
const space = {
  outputs: { connectSocket: [undefined], queryInfo: STATES.map(info), initialize: [undefined] },
  failing: ['connectSocket', 'queryInfo', 'initialize'],
  external: [
    { type: 'SOCKET_CLOSED' },
    ...STATES.map((state) => ({ type: 'KLIPPY_STATE', state, message: state })),
  ] as KlippyConnectionEvent[],
};
// A state is its value plus what the guards read; the failure counter would make it infinite.
const serializeState = (s: AnyMachineSnapshot) => JSON.stringify([s.value, s.context.klippyState]);

const paths = getShortestPaths(machine, {
  input,
  events: (s) => eventsIn(machine, s, space) as never,
  serializeState,
});

/** Replays a path with the pure transition function, collecting what it emits. */
function replay(events: readonly EventObject[]) {
  let [snap] = initialTransition(machine, input);
  const emitted: string[] = [];
  for (const ev of events) {
    const [next, actions] = transition(machine, snap, ev as never);
    for (const a of actions as Array<{ type: string; params?: unknown }>) {
      if (a.type === 'xstate.emit') emitted.push((a.params as { event: { type: string } }).event.type);
    }
    snap = next;
  }
  return { snap, emitted };
}

test('every state of the machine is reachable', () => {
  const reached = new Set(paths.map((p) => leafNames(p.state.value)[0]));
  const declared = [
    'disconnected',
    'connecting',
    ...['identifying', 'startup', 'polling', 'initializing', 'ready', 'error', 'shutdown'].map((s) => `connected.${s}`),
  ];
  assert.deepEqual([...reached].sort(), declared.sort());
});

test('each shortest path announces ready exactly when it ends in ready, after initializing', () => {
  for (const p of paths) {
    const events = p.steps.map((s) => s.event);
    const { snap, emitted } = replay(events);
    assert.deepEqual(snap.value, p.state.value);
    const endsReady = leafNames(p.state.value)[0] === 'connected.ready';
    assert.equal(emitted.includes('klippy.ready'), endsReady, `path to ${JSON.stringify(p.state.value)}: ${emitted}`);
    if (endsReady) {
      // Never ready before the subscriptions exist: initialization finished earlier on the path.
      const firstReady = p.steps.findIndex((s) => leafNames(s.state.value)[0] === 'connected.ready');
      assert.ok(events.slice(0, firstReady + 1).some((e) => (e.type as string) === 'xstate.done.actor.initialize'));
    }
  }
});

test('closing the socket from every connected state announces disconnected and retries', () => {
  const connected = paths.filter((p) => typeof p.state.value === 'object');
  assert.ok(connected.length >= 7);
  for (const p of connected) {
    const { snap, emitted } = replay([...p.steps.map((s) => s.event), { type: 'SOCKET_CLOSED' }]);
    assert.equal(snap.value, 'disconnected');
    assert.equal(emitted.at(-1), 'klippy.disconnected');
    assert.equal(reportedKlippyState(snap), 'disconnected');
    assert.equal(snap.context.info, null);
  }
});

test('a connect failure is silent: no disconnected announcement without a connection', () => {
  const { snap, emitted } = replay([{ type: 'xstate.error.actor.connectSocket', error: new Error('ENOENT') } as EventObject]);
  assert.equal(snap.value, 'disconnected');
  assert.deepEqual(emitted, []);
  assert.equal(snap.context.connectFailures, 1);
});

test('webhooks reporting shutdown while ready moves to shutdown and announces it', () => {
  const toReady = paths.find((p) => leafNames(p.state.value)[0] === 'connected.ready')!;
  const { snap, emitted } = replay([
    ...toReady.steps.map((s) => s.event),
    { type: 'KLIPPY_STATE', state: 'shutdown', message: 'Shutdown due to M112' } as EventObject,
  ]);
  assert.deepEqual(snap.value, { connected: 'shutdown' });
  assert.equal(emitted.at(-1), 'klippy.shutdown');
  assert.equal(snap.context.stateMessage, 'Shutdown due to M112');
  assert.equal(reportedKlippyState(snap), 'shutdown');
});

test('a state report during startup is remembered and decides where initialization lands', () => {
  const { snap } = replay([
    { type: 'xstate.done.actor.connectSocket' },
    { type: 'xstate.done.actor.identify', output: info('ready') } as EventObject,
    { type: 'KLIPPY_STATE', state: 'shutdown', message: 'MCU lost' } as EventObject,
    { type: 'xstate.done.actor.initialize' },
  ]);
  assert.deepEqual(snap.value, { connected: 'shutdown' });
  assert.equal(reportedKlippyState(snap), 'shutdown');
});

test('client_info goes with the identify request, and with polls only until one succeeds', async () => {
  const seen: Array<unknown> = [];
  let answers: KlippyState[] = ['startup', 'startup', 'ready'];
  const clock = new SimulatedClock();
  const actor = createActor(
    machine.provide({
      actors: {
        connectSocket: fromPromise(async () => {}),
        queryInfo: fromPromise(async ({ input: i }) => {
          seen.push(i.clientInfo);
          const [next, ...rest] = answers;
          answers = rest;
          return info(next ?? 'ready');
        }),
        initialize: fromPromise(async () => {}),
        watchSocket: fromCallback(() => {}),
      },
    }),
    { input, clock },
  );
  actor.start();
  for (let i = 0; i < 10 && !actor.getSnapshot().matches({ connected: 'ready' }); i++) {
    await new Promise((r) => setImmediate(r));
    clock.increment(POLL_INTERVAL_MS);
  }
  assert.deepEqual(actor.getSnapshot().value, { connected: 'ready' });
  assert.deepEqual(seen, [input.clientInfo, undefined, undefined]);
  actor.stop();
});

test('reconnect attempts come every 0.25 s, then slow to 1 s after repeated failures', async () => {
  const attempts: number[] = [];
  const clock = new SimulatedClock();
  const actor = createActor(
    machine.provide({
      actors: {
        connectSocket: fromPromise<void, { socketPath: string }>(async () => {
          attempts.push(clock.now());
          throw new Error('ENOENT');
        }),
      },
    }),
    { input, clock },
  );
  actor.start();
  for (let t = 0; t < 40_000; t += 50) {
    await new Promise((r) => setImmediate(r));
    clock.increment(50);
  }
  const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
  assert.ok(gaps.length > FAST_RETRIES + 5);
  assert.ok(gaps.slice(0, FAST_RETRIES).every((g) => g === POLL_INTERVAL_MS), `fast gaps: ${gaps.slice(0, FAST_RETRIES)}`);
  assert.ok(gaps.slice(FAST_RETRIES).every((g) => g === 1000), `slow gaps: ${gaps.slice(FAST_RETRIES)}`);
  actor.stop();
});

test('the klippyReady tag is on exactly in ready, and the reported state agrees with it on every path', () => {
  for (const p of paths) {
    const { snap } = replay(p.steps.map((s) => s.event));
    const ready = leafNames(snap.value)[0] === 'connected.ready';
    assert.equal(snap.hasTag('klippyReady'), ready, JSON.stringify(snap.value));
    assert.equal(reportedKlippyState(snap) === 'ready', ready, JSON.stringify(snap.value));
  }
});

test('while we initialize after Klippy said ready, we report startup, with a message that does not say ready', () => {
  const { snap } = replay([{ type: 'xstate.done.actor.connectSocket' }, { type: 'xstate.done.actor.identify', output: info('ready') } as EventObject]);
  assert.equal(leafNames(snap.value)[0], 'connected.initializing');
  assert.equal(snap.context.klippyState, 'ready');
  assert.equal(reportedKlippyState(snap), 'startup');
  assert.equal(reportedStateMessage(snap), INITIALIZING_MESSAGE);
  // Klippy itself starting up: its own message is passed on.
  const starting = replay([{ type: 'xstate.done.actor.connectSocket' }, { type: 'xstate.done.actor.identify', output: info('startup') } as EventObject]);
  assert.equal(reportedStateMessage(starting.snap), 'Klippy is startup');
});
