// The inspection hub on its own, with a machine made for the test: which messages it makes,
// what it leaves out, and that secrets and file contents never reach them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assign, createActor, createMachine, fromPromise, setup } from 'xstate';
import { Inspection, stateString, type InspectionMessage } from '../../src/actors/inspection.actor.js';
import { logSink } from '../../src/logger.js';

const uploader = setup({
  types: {
    context: {} as { apiKey: string; user: { name: string; password: string }; lastFile: { name: string; contents: string } | null },
    events: {} as { type: 'UPLOAD'; name: string; contents: string; token: string } | { type: 'NOTE' } | { type: 'RESET' },
  },
  actors: { store: fromPromise(async () => 'stored') },
}).createMachine({
  id: 'uploader',
  context: { apiKey: 'sk-live-123', user: { name: 'ann', password: 'hunter2' }, lastFile: null },
  initial: 'idle',
  states: {
    idle: { on: { UPLOAD: { target: 'busy.storing', actions: assign({ lastFile: ({ event }) => ({ name: event.name, contents: event.contents }) }) } } },
    busy: {
      initial: 'storing',
      states: {
        storing: { invoke: { src: 'store', onDone: 'stored' } },
        stored: { on: { NOTE: {} } },
      },
      on: { RESET: { target: 'idle', reenter: true } },
    },
  },
});

function collect(inspection: Inspection): InspectionMessage[] {
  const out: InspectionMessage[] = [];
  inspection.messages$.subscribe((m) => out.push(m));
  return out;
}

test('off: no inspect callback is handed out', () => {
  const inspection = new Inspection({ enabled: false });
  assert.equal(inspection.inspector('uploader'), undefined);
});

test('actor, event, transition and snapshot messages; targetless transitions are not transitions', async () => {
  let now = 1000;
  const inspection = new Inspection({ enabled: true, machines: ['uploader'], now: () => now++ });
  const msgs = collect(inspection);
  const actor = createActor(uploader, { inspect: inspection.inspector('uploader') });
  actor.start();
  assert.deepEqual(msgs.map((m) => m.type), ['event', 'actor'], 'init event, then the actor in its first state');
  assert.deepEqual(inspection.current().map((m) => [m.actorId, m.state]), [['uploader:1', 'idle']]);

  actor.send({ type: 'UPLOAD', name: 'cube.gcode', contents: 'G1 X1\n'.repeat(200), token: 'tok-999' });
  await new Promise((r) => setTimeout(r, 10));
  actor.send({ type: 'NOTE' });
  actor.send({ type: 'RESET' });
  actor.stop();

  const transitions = msgs.filter((m) => m.type === 'transition');
  assert.deepEqual(
    transitions.map((t) => [t.from, t.to, t.event]),
    [
      ['idle', 'busy.storing', 'UPLOAD'],
      ['busy.storing', 'busy.stored', 'xstate.done.actor.0.uploader.busy.storing'],
      ['busy.stored', 'idle', 'RESET'],
    ],
  );
  assert.deepEqual(transitions[0]!.states, ['uploader.busy', 'uploader.busy.storing']);
  assert.deepEqual(transitions[0]!.fromStates, ['uploader.idle']);
  // The promise actor's done event names it as the source; NOTE changed nothing: an event, a
  // snapshot, no transition.
  const done = msgs.find((m) => m.type === 'event' && m.event.type.startsWith('xstate.done.actor'));
  assert.equal(done?.type === 'event' && done.source, '0.uploader.busy.storing');
  assert.ok(msgs.some((m) => m.type === 'event' && m.event.type === 'NOTE'));
  const last = msgs.at(-1)!;
  assert.equal(last.type, 'actor');
  assert.equal(last.type === 'actor' && last.status, 'stopped');
  assert.deepEqual(inspection.current(), [], 'a stopped actor is no longer live');
  assert.ok(msgs.every((m) => m.at >= 1000));
});

test('secrets and file contents never reach a message', async () => {
  const inspection = new Inspection({ enabled: true });
  const msgs = collect(inspection);
  const actor = createActor(uploader, { inspect: inspection.inspector('uploader') });
  actor.start();
  const contents = 'G1 X1 Y1 E0.1\n'.repeat(500);
  actor.send({ type: 'UPLOAD', name: 'cube.gcode', contents, token: 'tok-999' });
  await new Promise((r) => setTimeout(r, 10));
  const wire = JSON.stringify([...msgs, ...inspection.current()]);
  for (const secret of ['sk-live-123', 'hunter2', 'tok-999', 'G1 X1 Y1']) assert.ok(!wire.includes(secret), `${secret} leaked`);
  const upload = msgs.find((m) => m.type === 'event' && m.event.type === 'UPLOAD');
  assert.deepEqual(upload?.type === 'event' && upload.event, { type: 'UPLOAD', name: 'cube.gcode', contents: `[${contents.length} chars]`, token: '[redacted]' });
  const snap = msgs.findLast((m) => m.type === 'snapshot');
  assert.deepEqual(snap?.type === 'snapshot' && snap.context, {
    apiKey: '[redacted]',
    user: { name: 'ann', password: '[redacted]' },
    lastFile: { name: 'cube.gcode', contents: `[${contents.length} chars]` },
  });
  actor.stop();
});

test('actors of one machine are told apart; child machines are followed under their own id', () => {
  const inspection = new Inspection({ enabled: true });
  const msgs = collect(inspection);
  const child = createMachine({ id: 'child', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } });
  const parent = setup({ actors: { child } }).createMachine({ id: 'parent', invoke: { id: 'kid', src: 'child' } });
  const a1 = createActor(uploader, { inspect: inspection.inspector('uploader') }).start();
  const a2 = createActor(uploader, { inspect: inspection.inspector('uploader') }).start();
  const p = createActor(parent, { inspect: inspection.inspector('parent') }).start();
  p.getSnapshot().children.kid!.send({ type: 'GO' });
  assert.deepEqual(inspection.current().map((m) => m.actorId).sort(), ['child:1', 'parent:1', 'uploader:1', 'uploader:2']);
  const t = msgs.find((m) => m.type === 'transition');
  assert.deepEqual(t?.type === 'transition' && [t.machine, t.from, t.to], ['child', 'a', 'b']);
  for (const a of [a1, a2, p]) a.stop();
});

test('state strings: leaves with dots, parallel regions with commas', () => {
  assert.equal(stateString('idle'), 'idle');
  assert.equal(stateString({ connected: 'ready' }), 'connected.ready');
  assert.equal(stateString({ a: { x: 'y' }, b: 'z' }), 'a.x.y,b.z');
});

test('a secret registered with the logger is hidden wherever it turns up, under any key', async () => {
  const inspection = new Inspection({ enabled: true });
  const msgs = collect(inspection);
  logSink.redact('Zq9-registered-key');
  try {
    const actor = createActor(uploader, { inspect: inspection.inspector('uploader') }).start();
    actor.send({ type: 'UPLOAD', name: 'from ?apikey=Zq9-registered-key.gcode', contents: 'G28', token: 'x' });
    await new Promise((r) => setTimeout(r, 10));
    actor.stop();
  } finally {
    logSink.forget('Zq9-registered-key');
  }
  const wire = JSON.stringify(msgs);
  assert.ok(!wire.includes('Zq9-registered-key'));
  assert.ok(wire.includes('from ?apikey=<redacted>.gcode'));
});
