// The print job machine on its own: every state reachable, every shortest path's announcements,
// and the transitions UI authors rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { printJobMachine as machine, type PrintJobEvent, type PrintStats } from '../../src/machines/printJob.machine.js';

const stats = (state: string, extra: Partial<PrintStats> = {}): PrintStats => ({
  state,
  filename: state === 'standby' ? '' : 'cube.gcode',
  message: state === 'error' ? 'Move out of range' : '',
  total_duration: 10,
  print_duration: 8,
  filament_used: 100,
  ...extra,
});
const STATES = ['standby', 'printing', 'paused', 'complete', 'cancelled', 'error'];
const events: PrintJobEvent[] = [
  ...STATES.flatMap((st) => [false, true].map((firstReport) => ({ type: 'PRINT_STATS' as const, stats: stats(st), at: 1000, firstReport }))),
  { type: 'PRINT_STATS', stats: stats('printing', { filename: 'other.gcode' }), at: 1000, firstReport: false },
  { type: 'SDCARD', status: { progress: 0.5 }, at: 1000 },
  { type: 'KLIPPY_LOST', reason: 'klippy_shutdown', at: 1001 },
  { type: 'KLIPPY_LOST', reason: 'klippy_disconnect', at: 1001 },
];
const serializeState = (s: AnyMachineSnapshot) => JSON.stringify([s.value, s.context.job?.filename ?? null]);
const paths = getShortestPaths(machine, { events, serializeState });

function replay(evs: ReadonlyArray<EventObject | PrintJobEvent>) {
  let [snap] = initialTransition(machine);
  const emitted: Array<{ type: string; status?: string }> = [];
  for (const ev of evs) {
    const [next, actions] = transition(machine, snap, ev as PrintJobEvent);
    for (const a of actions as Array<{ type: string; params?: unknown }>) {
      if (a.type === 'xstate.emit') emitted.push((a.params as { event: { type: string; status?: string } }).event);
    }
    snap = next;
  }
  return { snap, emitted };
}
const ps = (state: string, extra: Partial<PrintStats> = {}, firstReport = false): PrintJobEvent => ({ type: 'PRINT_STATS', stats: stats(state, extra), at: 2000, firstReport });

test('every state is reachable', () => {
  assert.deepEqual([...new Set(paths.map((p) => p.state.value as string))].sort(), [...STATES].sort());
});

test('along every shortest path, each job that starts is announced once, and each end once with its status', () => {
  for (const p of paths) {
    const { snap, emitted } = replay(p.steps.map((s) => s.event));
    assert.equal(snap.value, p.state.value);
    const starts = emitted.filter((e) => e.type === 'job.started').length;
    const ends = emitted.filter((e) => e.type === 'job.finished').length;
    assert.ok(ends <= starts, `ended more jobs than started: ${JSON.stringify(emitted)}`);
    if (['complete', 'cancelled', 'error'].includes(p.state.value) && starts > 0) {
      const last = emitted.filter((e) => e.type === 'job.finished').at(-1)!;
      const expected = { complete: 'completed', cancelled: 'cancelled', error: ['error', 'klippy_shutdown', 'klippy_disconnect'] }[p.state.value as 'complete'];
      assert.ok([expected].flat().includes(last.status!), `${p.state.value}: ${last.status}`);
    }
  }
});

test('tags answer "is a job active?" and "can a print start?" in every state, exactly one each', () => {
  const expected: Record<string, string> = {
    standby: 'canStartPrint',
    printing: 'jobActive',
    paused: 'jobActive',
    complete: 'canStartPrint',
    cancelled: 'canStartPrint',
    error: 'canStartPrint',
  };
  for (const p of paths) {
    const { snap } = replay(p.steps.map((s) => s.event));
    const state = snap.value as string;
    assert.deepEqual([...snap.tags].sort(), [expected[state]], state);
  }
});

test('the machine reads no clock: a job ended by Klippy going away is dated by the event', () => {
  const { snap } = replay([ps('printing'), { type: 'SDCARD', status: { progress: 0.5 }, at: 2001 }, { type: 'KLIPPY_LOST', reason: 'klippy_disconnect', at: 2042 }]);
  assert.equal(snap.value, 'error');
  assert.equal(snap.context.job!.endTime, 2042);
  assert.equal(snap.context.job!.progress, 0.5);
});

test('a print: start, pause, resume, complete, reset', () => {
  const { snap, emitted } = replay([ps('printing'), ps('paused'), ps('printing'), ps('complete', { total_duration: 100, print_duration: 90 }), ps('standby')]);
  assert.equal(snap.value, 'standby');
  assert.deepEqual(emitted.map((e) => e.type), ['job.started', 'job.paused', 'job.resumed', 'job.finished', 'job.reset']);
  assert.equal(emitted[3]!.status, 'completed');
});

test('the job context follows Klippy: durations, filament, progress, layers, start time', () => {
  const { snap } = replay([
    ps('printing', { total_duration: 0, print_duration: 0 }),
    { type: 'SDCARD', status: { progress: 0.25 }, at: 2000 },
    ps('printing', { total_duration: 60, print_duration: 55, filament_used: 420, info: { current_layer: 3, total_layer: 50 } }),
  ]);
  const job = snap.context.job!;
  assert.equal(job.filename, 'cube.gcode');
  assert.equal(job.startTime, 2000);
  assert.equal(job.observedStart, true);
  assert.equal(job.progress, 0.25);
  assert.equal(job.printDuration, 55);
  assert.equal(job.filamentUsed, 420);
  assert.equal(job.currentLayer, 3);
  assert.equal(job.totalLayer, 50);
  assert.equal(job.endTime, null);
});

test('a job first seen mid-print (server restart) is marked, and dated back by Klippy\'s duration', () => {
  const { snap, emitted } = replay([ps('printing', { total_duration: 300 }, true)]);
  assert.equal(snap.value, 'printing');
  assert.equal(snap.context.job!.observedStart, false);
  assert.equal(snap.context.job!.startTime, 2000 - 300);
  assert.deepEqual(emitted.map((e) => e.type), ['job.started']);
});

test('a job that ended before we connected is mirrored without announcements', () => {
  const { snap, emitted } = replay([ps('complete', {}, true)]);
  assert.equal(snap.value, 'complete');
  assert.deepEqual(emitted, []);
});

test('a job that starts and fails between two reports is announced as started and finished', () => {
  const { snap, emitted } = replay([ps('error', { message: 'Move out of range: 1000.000 0.000 0.000 [0.000]' })]);
  assert.equal(snap.value, 'error');
  assert.deepEqual(emitted.map((e) => e.type), ['job.started', 'job.finished']);
  assert.equal(emitted[1]!.status, 'error');
  assert.match(snap.context.job!.message, /Move out of range/);
});

test('Klippy shutting down or vanishing mid-print ends the job in error with that reason', () => {
  for (const reason of ['klippy_shutdown', 'klippy_disconnect'] as const) {
    const { snap, emitted } = replay([ps('printing'), { type: 'KLIPPY_LOST', reason, at: 2100 }]);
    assert.equal(snap.value, 'error');
    assert.equal(emitted.at(-1)!.status, reason);
    assert.equal(snap.context.job!.endTime, 2100);
  }
});

test('old Klipper (no "cancelled"): printing straight to standby is a cancelled job', () => {
  const { snap, emitted } = replay([ps('printing'), ps('standby')]);
  assert.equal(snap.value, 'standby');
  assert.equal(emitted.find((e) => e.type === 'job.finished')!.status, 'cancelled');
});

test('a new file printing without a reset in between ends the old job and starts a new one', () => {
  const { snap, emitted } = replay([ps('printing'), ps('printing', { filename: 'next.gcode' })]);
  assert.equal(snap.context.job!.filename, 'next.gcode');
  assert.deepEqual(emitted.map((e) => e.type), ['job.started', 'job.finished', 'job.started']);
});

test('after a job ended, another that ends between two reports is a new job, not a change of the old', () => {
  const { snap, emitted } = replay([
    ps('printing'),
    ps('complete', { total_duration: 100 }),
    ps('error', { total_duration: 2, message: 'Move out of range' }),
    ps('error', { total_duration: 1, filename: 'again.gcode' }),
    ps('error', { total_duration: 1, filename: 'again.gcode' }),
  ]);
  assert.equal(snap.value, 'error');
  assert.deepEqual(emitted.map((e) => e.type), ['job.started', 'job.finished', 'job.started', 'job.finished', 'job.started', 'job.finished']);
  assert.equal(snap.context.job!.filename, 'again.gcode');
});
