// The job queue over the public API with real prints on the virtual Klippy: queued files start
// one after another (with the transition delay and gcode between them), pause and start are
// honoured, missing files are refused, a failed start pauses the queue, the queue survives a
// restart, and notify_job_queue_changed tells clients each step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';
import { startServer } from '../../src/server.js';
import { jobState } from '../../src/components/job_state/index.js';

let s: Stack;
let ws: RpcClient;

interface QueueStatus {
  queued_jobs: Array<{ filename: string; job_id: string; time_added: number; time_in_queue: number }>;
  queue_state: string;
}
interface QueueChange {
  action: string;
  updated_queue: QueueStatus['queued_jobs'] | null;
  queue_state: string;
}

/** A print of about `seconds` of simulated motion. */
function gcode(seconds: number): string {
  const lines = ['G28', 'G90', 'G1 Z5 F600'];
  for (let i = 0; i < seconds / 10; i++) lines.push(`G1 X${i % 2 === 0 ? 110 : 10} Y50 F600`);
  return lines.join('\n') + '\n';
}

before(async () => {
  s = await startStack({
    timeScale: 25,
    extraConfig: '[job_queue]\nautomatic_transition: True\njob_transition_delay: 0.3\njob_transition_gcode:\n  M117 between jobs\n',
  });
  writeFileSync(join(s.gcodesPath, 'first.gcode'), gcode(20));
  writeFileSync(join(s.gcodesPath, 'second.gcode'), gcode(20));
  writeFileSync(join(s.gcodesPath, 'third.gcode'), gcode(20));
  writeFileSync(join(s.gcodesPath, 'long.gcode'), gcode(600));
  await s.waitReady();
  ws = await s.ws();
  await ws.call('printer.objects.subscribe', { objects: { display_status: ['message'] } });
});
after(() => s.close());

const status = async (): Promise<QueueStatus> => (await s.http('GET', '/server/job_queue/status')).body.result;
const queueChanges = (since: number) =>
  ws.notifications
    .slice(since)
    .filter((n) => n.method === 'notify_job_queue_changed')
    .map((n) => n.params![0] as QueueChange);
const waitQueue = (pred: (c: QueueChange) => boolean, since: number, timeout = 20_000) =>
  ws.waitFor('notify_job_queue_changed', (p) => pred(p![0] as QueueChange), timeout, since);
const startedFiles = (since: number) =>
  ws.notifications
    .slice(since)
    .filter((n) => n.method === 'notify_job_state_changed' && (n.params![0] as { state: string }).state === 'printing')
    .map((n) => (n.params![0] as { job: { filename: string } }).job.filename);
const waitJob = (state: string, filename: string, since: number, timeout = 30_000) =>
  ws.waitFor(
    'notify_job_state_changed',
    (p) => {
      const c = p![0] as { state: string; job: { filename: string } | null };
      return c.state === state && c.job?.filename === filename;
    },
    timeout,
    since,
  );

test('a queue starts paused and empty; missing files are refused and nothing is queued', async () => {
  assert.deepEqual(await status(), { queued_jobs: [], queue_state: 'paused' });
  const r = await s.http('POST', '/server/job_queue/job', { filenames: ['first.gcode', 'nope.gcode'] });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.message, 'G-Code File nope.gcode does not exist');
  await assert.rejects(
    ws.call('server.job_queue.post_job', { filenames: ['../outside.gcode'] }),
    (e: unknown) => e instanceof RpcError && e.code === 403,
  );
  assert.deepEqual((await status()).queued_jobs, []);
});

test('queued files print one after another: start, job_loaded, the delay and the transition gcode, then the next', async () => {
  const since = ws.notifications.length;
  // The query-string form, comma-separated, as Moonraker documents it.
  const posted = await s.http('POST', '/server/job_queue/job?filenames=first.gcode,second.gcode');
  assert.equal(posted.status, 200);
  assert.deepEqual(posted.body.result.queued_jobs.map((j: { filename: string }) => j.filename), ['first.gcode', 'second.gcode']);
  assert.equal(posted.body.result.queue_state, 'paused');
  for (const j of posted.body.result.queued_jobs) {
    assert.match(j.job_id, /^[0-9A-F]{16}$/);
    assert.ok(j.time_in_queue >= 0 && j.time_in_queue < 5, `time_in_queue ${j.time_in_queue}`);
  }
  const added = await waitQueue((c) => c.action === 'jobs_added', since);
  assert.equal((added.params![0] as QueueChange).updated_queue!.length, 2);

  const started = await ws.call('server.job_queue.start');
  assert.equal(started.queue_state, 'loading');
  await waitJob('complete', 'second.gcode', since, 40_000);
  assert.deepEqual(startedFiles(since), ['first.gcode', 'second.gcode']);

  const changes = queueChanges(since);
  const loaded = changes.filter((c) => c.action === 'job_loaded');
  assert.equal(loaded.length, 2);
  assert.deepEqual(loaded[0]!.updated_queue!.map((j) => j.filename), ['second.gcode']);
  assert.equal(loaded[0]!.queue_state, 'ready', 'automatic transition keeps the queue active');
  assert.deepEqual(loaded[1]!.updated_queue, []);
  assert.equal(loaded[1]!.queue_state, 'paused', 'an emptied queue pauses');
  const states = changes.map((c) => c.queue_state);
  assert.deepEqual(states, ['paused', 'loading', 'starting', 'ready', 'loading', 'starting', 'paused']);
  // The transition gcode ran between the two jobs.
  await ws.waitFor('notify_status_update', (p) => (p?.[0] as { display_status?: { message?: string } }).display_status?.message === 'between jobs', 5000, since);
  assert.deepEqual(await status(), { queued_jobs: [], queue_state: 'paused' });
});

test('pause holds the next job after the current print; start loads it', async () => {
  await ws.call('server.job_queue.post_job', { filenames: ['first.gcode', 'third.gcode'] });
  let since = ws.notifications.length;
  await ws.call('server.job_queue.start');
  await waitJob('printing', 'first.gcode', since);
  assert.equal((await status()).queue_state, 'ready');
  const paused = await s.http('POST', '/server/job_queue/pause');
  assert.equal(paused.body.result.queue_state, 'paused');
  await waitJob('complete', 'first.gcode', since);
  await new Promise((r) => setTimeout(r, 600));
  assert.deepEqual(startedFiles(since), ['first.gcode'], 'nothing loaded while paused');
  assert.deepEqual((await status()).queued_jobs.map((j) => j.filename), ['third.gcode']);

  since = ws.notifications.length;
  const resumed = await s.http('POST', '/server/job_queue/start');
  assert.equal(resumed.body.result.queue_state, 'loading');
  await waitJob('complete', 'third.gcode', since);
  assert.deepEqual(startedFiles(since), ['third.gcode']);
});

test('a start while the printer is busy waits for the print to complete; an aborted print pauses the queue', async () => {
  let since = ws.notifications.length;
  await ws.call('printer.print.start', { filename: 'long.gcode' });
  await waitJob('printing', 'long.gcode', since);
  await ws.call('server.job_queue.post_job', { filenames: ['first.gcode'] });
  assert.equal((await status()).queue_state, 'ready', 'queued behind a running print');
  await ws.call('printer.print.cancel');
  await waitQueue((c) => c.queue_state === 'paused', since);
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(startedFiles(since), ['long.gcode']);
  assert.deepEqual((await status()).queued_jobs.map((j) => j.filename), ['first.gcode']);

  since = ws.notifications.length;
  await ws.call('printer.print.start', { filename: 'second.gcode' });
  await waitJob('printing', 'second.gcode', since);
  const started = await ws.call('server.job_queue.start');
  assert.equal(started.queue_state, 'ready');
  await waitJob('complete', 'first.gcode', since);
  assert.deepEqual(startedFiles(since), ['second.gcode', 'first.gcode']);
});

test('a failed start pauses the queue and keeps the job', async () => {
  writeFileSync(join(s.gcodesPath, 'vanishing.gcode'), gcode(20));
  await ws.call('server.job_queue.post_job', { filenames: ['vanishing.gcode'] });
  rmSync(join(s.gcodesPath, 'vanishing.gcode'));
  const since = ws.notifications.length;
  await ws.call('server.job_queue.start');
  await waitQueue((c) => c.queue_state === 'paused', since);
  assert.deepEqual(queueChanges(since).map((c) => c.queue_state), ['loading', 'starting', 'paused']);
  assert.deepEqual((await status()).queued_jobs.map((j) => j.filename), ['vanishing.gcode']);
  assert.equal(s.server.kernel.lookup(jobState).printJob.state, 'complete');
  await ws.call('server.job_queue.delete_job', { all: true });
});

test('jump, delete by id (unknown ids ignored), reset, and errors', async () => {
  const { queued_jobs } = await ws.call('server.job_queue.post_job', { filenames: ['first.gcode', 'second.gcode', 'third.gcode'] });
  const [a, b, c] = queued_jobs;
  const jumped = await s.http('POST', `/server/job_queue/jump?job_id=${c.job_id}`);
  assert.deepEqual(jumped.body.result.queued_jobs.map((j: { job_id: string }) => j.job_id), [c.job_id, a.job_id, b.job_id]);
  assert.equal((await s.http('POST', '/server/job_queue/jump?job_id=NOPE')).body.error.message, 'Invalid job id: NOPE');
  const since = ws.notifications.length;
  const del = await s.http('DELETE', `/server/job_queue/job?job_ids=${a.job_id},UNKNOWN`);
  assert.deepEqual(del.body.result.queued_jobs.map((j: { job_id: string }) => j.job_id), [c.job_id, b.job_id]);
  const removed = await waitQueue((x) => x.action === 'jobs_removed', since);
  assert.equal((removed.params![0] as QueueChange).updated_queue!.length, 2);
  const reset = await ws.call('server.job_queue.post_job', { filenames: ['first.gcode'], reset: true });
  assert.deepEqual(reset.queued_jobs.map((j: { filename: string }) => j.filename), ['first.gcode']);
  await assert.rejects(ws.call('server.job_queue.delete_job', {}), (e: unknown) => e instanceof RpcError && e.code === -32602);
  await assert.rejects(ws.call('server.job_queue.post_job', { filenames: [1, 2] }), (e: unknown) => e instanceof RpcError && e.code === -32602);
});

test('the queue survives a restart, paused', async () => {
  const before = await status();
  assert.equal(before.queued_jobs.length, 1);
  const config = s.server.kernel.config;
  await s.server.close();
  const again = await startServer({ config, logToFile: false });
  try {
    const after = ((await fetch(`${again.url}/server/job_queue/status`).then((r) => r.json())) as { result: QueueStatus }).result;
    assert.equal(after.queue_state, 'paused');
    assert.deepEqual(
      after.queued_jobs.map(({ filename, job_id, time_added }) => ({ filename, job_id, time_added })),
      before.queued_jobs.map(({ filename, job_id, time_added }) => ({ filename, job_id, time_added })),
    );
  } finally {
    await again.close();
  }
});

test('without automatic transition, each load pauses the queue', async () => {
  const plain = await startStack({ timeScale: 25 });
  try {
    writeFileSync(join(plain.gcodesPath, 'a.gcode'), gcode(20));
    writeFileSync(join(plain.gcodesPath, 'b.gcode'), gcode(20));
    await plain.waitReady();
    const c = await plain.ws();
    await c.call('server.job_queue.post_job', { filenames: ['a.gcode', 'b.gcode'] });
    await c.call('server.job_queue.start');
    const loaded = await c.waitFor('notify_job_queue_changed', (p) => (p![0] as QueueChange).action === 'job_loaded');
    assert.equal((loaded.params![0] as QueueChange).queue_state, 'paused');
    await c.waitFor('notify_job_state_changed', (p) => (p![0] as { state: string }).state === 'complete', 20_000);
    await new Promise((r) => setTimeout(r, 400));
    const st = (await plain.http('GET', '/server/job_queue/status')).body.result as QueueStatus;
    assert.equal(st.queue_state, 'paused');
    assert.deepEqual(st.queued_jobs.map((j) => j.filename), ['b.gcode']);
  } finally {
    await plain.close();
  }
});
