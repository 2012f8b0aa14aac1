// The job queue machine on its own: every state reachable by shortest paths, the rules that hold
// along every path, and whole queue runs with its I/O (the transition gcode and the print start)
// as injected actors on a simulated clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createActor,
  fromPromise,
  initialTransition,
  SimulatedClock,
  transition,
  type AnyMachineSnapshot,
  type EventObject,
} from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import {
  jobQueueMachine as machine,
  queueState,
  START_DELAY_MS,
  STARTUP_LOAD_DELAY_MS,
  type JobQueueEvent,
  type JobQueueInput,
  type QueuedJob,
} from '../../src/machines/jobQueue.machine.js';
import { eventsIn, leafNames } from '../helpers/machineEvents.js';

let serial = 0;
const job = (filename: string): QueuedJob => ({ filename, job_id: `JOB${String(++serial).padStart(13, '0')}`, time_added: 1000 + serial });

const input: JobQueueInput = {
  jobs: [],
  automatic: true,
  transitionDelayMs: 500,
  transitionGcode: 'M117 next',
  loadOnStartup: true,
};

const external: JobQueueEvent[] = [
  { type: 'ADD', jobs: [job('a.gcode')], reset: false },
  { type: 'REMOVE_ALL' },
  { type: 'PAUSE' },
  { type: 'START' },
  { type: 'PRINTER', canStart: true, printing: false },
  { type: 'PRINTER', canStart: false, printing: true },
  { type: 'PRINTER', canStart: false, printing: false },
  { type: 'JOB_ENDED', completed: true },
  { type: 'JOB_ENDED', completed: false },
  { type: 'KLIPPY_READY' },
  { type: 'KLIPPY_SHUTDOWN' },
];
const space = {
  outputs: { runTransitionGcode: [undefined], startPrint: [undefined] },
  failing: ['runTransitionGcode', 'startPrint'],
  external,
};
// What the guards read; the job count is capped so the space stays finite.
const serializeState = (s: AnyMachineSnapshot) => {
  const c = s.context as { jobs: unknown[]; canStart: boolean; printing: boolean; pauseRequested: boolean; load: unknown; holdAfterStart: boolean };
  return JSON.stringify([s.value, Math.min(c.jobs.length, 2), c.canStart, c.printing, c.pauseRequested, c.load, c.holdAfterStart]);
};
const paths = getShortestPaths(machine, {
  input,
  events: (s) => eventsIn(machine, s, space) as never,
  serializeState,
});

/** Replays events with the pure transition function: snapshots after each, and what was emitted. */
function replay(events: readonly EventObject[], start: JobQueueInput = input) {
  let [snap] = initialTransition(machine, start);
  const seen: AnyMachineSnapshot[] = [];
  const emitted: string[] = [];
  for (const ev of events) {
    const before = snap;
    const [next, actions] = transition(machine, snap, ev as JobQueueEvent);
    for (const a of actions as Array<{ type: string; params?: unknown }>) {
      if (a.type === 'xstate.emit') emitted.push((a.params as { event: { action: string } }).event.action);
    }
    seen.push(before);
    snap = next;
  }
  return { snap, seen, emitted };
}

test('every state of the machine is reachable', () => {
  const reached = new Set(paths.map((p) => leafNames(p.state.value)[0]));
  assert.deepEqual([...reached].sort(), ['loading.transition', 'loading.waiting', 'paused', 'ready', 'starting']);
  assert.deepEqual(new Set(paths.map((p) => queueState(p.state.value))), new Set(['paused', 'ready', 'loading', 'starting']));
});

test('along every path, a start is only asked for with a job queued and the printer free', () => {
  let checked = 0;
  for (const p of paths) {
    const events = p.steps.map((s) => s.event);
    const { snap, seen } = replay(events);
    assert.deepEqual(snap.value, p.state.value);
    // Only where this path's last step entered `starting` (a job may be removed afterwards).
    if (snap.value !== 'starting' || seen.at(-1)?.value === 'starting') continue;
    checked++;
    assert.ok(snap.context.jobs.length > 0, 'starting with no job');
    assert.ok(snap.context.canStart, `starting with the printer busy: ${events.map((e) => e.type).join(' ')}`);
    assert.equal(snap.context.loadingJobId, snap.context.jobs[0]!.job_id);
  }
  assert.ok(checked > 0, 'no path ends by entering starting');
});

test('from every state, a pause lands in paused (at once, or when the start in progress is done)', () => {
  for (const p of paths) {
    const events = p.steps.map((s) => s.event);
    const { snap } = replay([...events, { type: 'PAUSE' }]);
    if (p.state.value === 'starting') {
      assert.equal(snap.value, 'starting');
      const done = replay([...events, { type: 'PAUSE' }, { type: 'xstate.done.actor.startPrint', output: undefined } as EventObject]);
      assert.equal(done.snap.value, 'paused');
      assert.equal(done.emitted.at(-1), 'job_loaded');
    } else {
      assert.equal(snap.value, 'paused', `from ${JSON.stringify(p.state.value)}`);
    }
    assert.equal(snap.context.pauseRequested, true);
  }
});

test('along every path, each change to the list is announced once with its action, and nothing else is', () => {
  for (const p of paths) {
    const events = p.steps.map((s) => s.event);
    const { emitted, seen } = replay(events);
    const adds = events.filter((e) => e.type === 'ADD').length;
    const loads = events.filter((e) => (e.type as string) === 'xstate.done.actor.startPrint').length;
    const removals = events.filter((e, i) => e.type === 'REMOVE_ALL' && (seen[i]!.context.jobs as unknown[]).length > 0).length;
    assert.equal(emitted.filter((a) => a === 'jobs_added').length, adds);
    assert.equal(emitted.filter((a) => a === 'job_loaded').length, loads);
    assert.equal(emitted.filter((a) => a === 'jobs_removed').length, removals);
    assert.equal(emitted.length, adds + loads + removals);
  }
});

// --- whole runs with injected I/O -------------------------------------------------------

interface Harness {
  actor: ReturnType<typeof createActor<typeof machine>>;
  clock: SimulatedClock;
  starts: Array<{ filename: string; resolve: () => void; reject: (e: Error) => void }>;
  gcodes: string[];
  announced: string[];
  state: () => string;
}

function run(over: Partial<JobQueueInput> = {}, opts: { gcodeFails?: boolean } = {}): Harness {
  const clock = new SimulatedClock();
  const starts: Harness['starts'] = [];
  const gcodes: string[] = [];
  const provided = machine.provide({
    actors: {
      runTransitionGcode: fromPromise(async ({ input: i }) => {
        gcodes.push(i.gcode);
        if (opts.gcodeFails) throw new Error('Unknown command');
      }),
      startPrint: fromPromise(({ input: i }) => new Promise<void>((resolve, reject) => starts.push({ filename: i.filename, resolve, reject }))),
    },
  });
  const actor = createActor(provided, { input: { ...input, ...over }, clock });
  const announced: string[] = [];
  actor.on('queue.changed', (e) => announced.push(e.action));
  actor.start();
  return { actor, clock, starts, gcodes, announced, state: () => queueState(actor.getSnapshot().value) };
}
const tick = () => new Promise((r) => setImmediate(r));
const idle = { type: 'PRINTER', canStart: true, printing: false } as const;
const busy = { type: 'PRINTER', canStart: false, printing: true } as const;

test('automatic transition: start loads the first job, a completed print loads the next after the delay and the gcode', async () => {
  const h = run();
  h.actor.send(idle);
  h.actor.send({ type: 'ADD', jobs: [job('one.gcode'), job('two.gcode')], reset: false });
  assert.equal(h.state(), 'paused', 'a queue starts paused');
  h.actor.send({ type: 'START' });
  assert.equal(h.state(), 'loading');
  h.clock.increment(START_DELAY_MS);
  assert.equal(h.state(), 'starting');
  assert.deepEqual(h.gcodes, [], 'no transition gcode before the first job');
  assert.equal(h.starts[0]!.filename, 'one.gcode');
  h.actor.send(busy);
  h.starts[0]!.resolve();
  await tick();
  assert.equal(h.state(), 'ready');
  assert.deepEqual(h.actor.getSnapshot().context.jobs.map((j) => j.filename), ['two.gcode']);

  h.actor.send({ type: 'JOB_ENDED', completed: true });
  h.actor.send(idle);
  assert.equal(h.state(), 'loading');
  h.clock.increment(499);
  assert.equal(h.starts.length, 1, 'still within job_transition_delay');
  h.clock.increment(1);
  await tick();
  assert.deepEqual(h.gcodes, ['M117 next']);
  assert.equal(h.state(), 'starting');
  assert.equal(h.starts[1]!.filename, 'two.gcode');
  h.starts[1]!.resolve();
  await tick();
  assert.equal(h.state(), 'paused', 'an emptied queue pauses');
  assert.deepEqual(h.announced, ['jobs_added', 'job_loaded', 'job_loaded']);
});

test('without automatic transition the queue pauses after each load', async () => {
  const h = run({ automatic: false });
  h.actor.send(idle);
  h.actor.send({ type: 'ADD', jobs: [job('one.gcode'), job('two.gcode')], reset: false });
  h.actor.send({ type: 'START' });
  h.clock.increment(START_DELAY_MS);
  h.starts[0]!.resolve();
  await tick();
  assert.equal(h.state(), 'paused');
  h.actor.send({ type: 'JOB_ENDED', completed: true });
  assert.equal(h.state(), 'paused');
  assert.equal(h.starts.length, 1);
});

test('a failed start pauses the queue and keeps the job', async () => {
  const h = run();
  h.actor.send(idle);
  h.actor.send({ type: 'ADD', jobs: [job('gone.gcode')], reset: false });
  h.actor.send({ type: 'START' });
  h.clock.increment(START_DELAY_MS);
  h.starts[0]!.reject(new Error('File gone.gcode does not exist'));
  await tick();
  assert.equal(h.state(), 'paused');
  assert.deepEqual(h.actor.getSnapshot().context.jobs.map((j) => j.filename), ['gone.gcode']);
  assert.deepEqual(h.announced, ['jobs_added']);
});

test('a failing transition gcode pauses the queue before any start', async () => {
  const h = run({}, { gcodeFails: true });
  h.actor.send(busy);
  h.actor.send({ type: 'ADD', jobs: [job('next.gcode')], reset: false });
  assert.equal(h.state(), 'ready', 'queued behind a running print');
  h.actor.send({ type: 'JOB_ENDED', completed: true });
  h.actor.send(idle);
  h.clock.increment(500);
  await tick();
  assert.equal(h.state(), 'paused');
  assert.equal(h.starts.length, 0);
});

test('a pause while starting lets the start finish, removes the job, and leaves the queue paused', async () => {
  const h = run();
  h.actor.send(idle);
  h.actor.send({ type: 'ADD', jobs: [job('one.gcode'), job('two.gcode')], reset: false });
  h.actor.send({ type: 'START' });
  h.clock.increment(START_DELAY_MS);
  h.actor.send({ type: 'PAUSE' });
  assert.equal(h.state(), 'starting');
  h.starts[0]!.resolve();
  await tick();
  assert.equal(h.state(), 'paused');
  assert.deepEqual(h.actor.getSnapshot().context.jobs.map((j) => j.filename), ['two.gcode']);
});

test('a pause while loading abandons the load', () => {
  const h = run();
  h.actor.send(idle);
  h.actor.send({ type: 'ADD', jobs: [job('one.gcode')], reset: false });
  h.actor.send({ type: 'START' });
  h.actor.send({ type: 'PAUSE' });
  h.clock.increment(10_000);
  assert.equal(h.state(), 'paused');
  assert.equal(h.starts.length, 0);
});

test('an aborted print pauses an active queue', () => {
  const h = run();
  h.actor.send(busy);
  h.actor.send({ type: 'ADD', jobs: [job('one.gcode')], reset: false });
  assert.equal(h.state(), 'ready');
  h.actor.send({ type: 'JOB_ENDED', completed: false });
  assert.equal(h.state(), 'paused');
});

test('an active queue given jobs while the printer is free loads them at once', () => {
  const h = run();
  h.actor.send(busy);
  h.actor.send({ type: 'START' });
  assert.equal(h.state(), 'paused', 'an empty queue cannot be started');
  h.actor.send({ type: 'ADD', jobs: [job('one.gcode')], reset: false });
  assert.equal(h.state(), 'ready');
  h.actor.send({ type: 'REMOVE_ALL' });
  h.actor.send({ type: 'JOB_ENDED', completed: true });
  h.actor.send(idle);
  assert.equal(h.state(), 'ready', 'nothing to load');
  h.actor.send({ type: 'ADD', jobs: [job('two.gcode')], reset: false });
  assert.equal(h.state(), 'loading');
  h.clock.increment(START_DELAY_MS);
  assert.equal(h.starts[0]!.filename, 'two.gcode');
});

test('load_on_startup loads a restored queue a second after Klippy is ready', () => {
  const h = run({ jobs: [job('restored.gcode')] });
  h.actor.send(idle);
  assert.equal(h.state(), 'paused');
  h.actor.send({ type: 'KLIPPY_READY' });
  assert.equal(h.state(), 'loading');
  h.clock.increment(STARTUP_LOAD_DELAY_MS - 1);
  assert.equal(h.starts.length, 0);
  h.clock.increment(1);
  assert.equal(h.starts[0]!.filename, 'restored.gcode');
  assert.deepEqual(h.gcodes, []);
});

test('reset replaces the queue, jump reorders it, unknown ids are ignored', () => {
  const h = run();
  const [a, b, c] = [job('a.gcode'), job('b.gcode'), job('c.gcode')];
  h.actor.send({ type: 'ADD', jobs: [a, b], reset: false });
  h.actor.send({ type: 'ADD', jobs: [c], reset: false });
  h.actor.send({ type: 'JUMP', jobId: c.job_id });
  assert.deepEqual(h.actor.getSnapshot().context.jobs.map((j) => j.filename), ['c.gcode', 'a.gcode', 'b.gcode']);
  h.actor.send({ type: 'REMOVE', jobIds: ['NOPE'] });
  h.actor.send({ type: 'REMOVE', jobIds: [a.job_id] });
  assert.deepEqual(h.actor.getSnapshot().context.jobs.map((j) => j.filename), ['c.gcode', 'b.gcode']);
  h.actor.send({ type: 'ADD', jobs: [job('d.gcode')], reset: true });
  assert.deepEqual(h.actor.getSnapshot().context.jobs.map((j) => j.filename), ['d.gcode']);
  assert.deepEqual(h.announced, ['jobs_added', 'jobs_added', 'jobs_removed', 'jobs_added']);
});
