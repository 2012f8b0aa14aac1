// Whole prints through the virtual Klippy over the public API: start, progress, pause, resume,
// cancel, complete and error, with the job machine's transitions seen by a websocket client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';
import { jobState } from '../../src/components/job_state/index.js';

let s: Stack;
let ws: RpcClient;

/** A print of about `seconds` of simulated motion: back-and-forth moves at 10 mm/s. */
function slowGcode(seconds: number): string {
  const lines = ['G28', 'G90', 'G1 Z5 F600', 'SET_PRINT_STATS_INFO TOTAL_LAYER=3'];
  for (let i = 0; i < seconds / 10; i++) {
    lines.push(`SET_PRINT_STATS_INFO CURRENT_LAYER=${(i % 3) + 1}`, `M117 pass ${i}`, `G1 X${i % 2 === 0 ? 110 : 10} Y50 F600`);
  }
  return lines.join('\n') + '\n';
}

before(async () => {
  s = await startStack({ timeScale: 20 });
  mkdirSync(s.gcodesPath, { recursive: true });
  writeFileSync(join(s.gcodesPath, 'slow.gcode'), slowGcode(200));
  writeFileSync(join(s.gcodesPath, 'short.gcode'), slowGcode(20));
  writeFileSync(join(s.gcodesPath, 'broken.gcode'), 'G28\nG1 X10 F3000\nG1 X1000 F3000\nG1 X20\n');
  await s.waitReady();
  ws = await s.ws();
  await ws.call('printer.objects.subscribe', { objects: { print_stats: ['state', 'filename', 'message'], virtual_sdcard: ['progress'], display_status: ['message'] } });
});
after(() => s.close());

const jobStates = (since: number) =>
  ws.notifications
    .slice(since)
    .filter((n) => n.method === 'notify_job_state_changed')
    .map((n) => (n.params![0] as { state: string }).state);
const waitJob = (state: string, since: number, timeout = 20_000) =>
  ws.waitFor('notify_job_state_changed', (p) => (p?.[0] as { state: string }).state === state, timeout, since);

test('a missing file is refused before Klippy is asked; so is a path outside gcodes', async () => {
  await assert.rejects(ws.call('printer.print.start', { filename: 'nope.gcode' }), (e: unknown) => e instanceof RpcError && e.code === 404);
  const http = await s.http('POST', '/printer/print/start?filename=../../etc/passwd');
  assert.equal(http.status, 403, 'refused as outside the gcodes root');
  assert.equal(s.server.kernel.lookup(jobState).printJob.state, 'standby');
});

test('start, progress, pause, resume, cancel: status updates and exact job transitions', async () => {
  const since = ws.notifications.length;
  assert.equal(await ws.call('printer.print.start', { filename: 'slow.gcode' }), 'ok');
  const started = await waitJob('printing', since);
  assert.equal((started.params![0] as { job: { filename: string } }).job.filename, 'slow.gcode');
  await ws.waitFor('notify_status_update', (p) => ((p?.[0] as { virtual_sdcard?: { progress?: number } }).virtual_sdcard?.progress ?? 0) > 0, 10_000, since);
  await ws.waitFor('notify_status_update', (p) => (p?.[0] as { print_stats?: { state?: string } }).print_stats?.state === 'printing', 10_000, since);
  await assert.rejects(ws.call('printer.print.start', { filename: 'short.gcode' }), (e: unknown) => e instanceof RpcError && e.code === 409);

  assert.equal(await ws.call('printer.print.pause'), 'ok');
  await waitJob('paused', since);
  const afterPause = ws.notifications.length;
  assert.equal((await s.http('POST', '/printer/print/resume')).body.result, 'ok');
  await waitJob('printing', afterPause);
  assert.equal(await ws.call('printer.print.cancel'), 'ok');
  await waitJob('cancelled', since);
  assert.deepEqual(jobStates(since), ['printing', 'paused', 'printing', 'cancelled']);
  const job = s.server.kernel.lookup(jobState).printJob.job!;
  assert.equal(job.filename, 'slow.gcode');
  assert.ok(job.progress > 0 && job.progress < 1, `progress ${job.progress}`);
});

test('a print runs to complete; the next start resets through standby', async () => {
  const since = ws.notifications.length;
  await ws.call('printer.print.start', { filename: 'short.gcode' });
  await waitJob('complete', since, 30_000);
  const states = jobStates(since);
  assert.deepEqual(states.slice(-2), ['printing', 'complete']);
  assert.equal(s.server.kernel.lookup(jobState).printJob.job!.progress, 1);
  const layers = s.server.kernel.lookup(jobState).printJob.job!;
  assert.equal(layers.totalLayer, 3);
  await ws.waitFor('notify_status_update', (p) => /pass/.test(String((p?.[0] as { display_status?: { message?: string } }).display_status?.message)), 5000, since);
});

test('an out-of-range move ends the print in error with Klipper\'s message', async () => {
  const since = ws.notifications.length;
  await ws.call('printer.print.start', { filename: 'broken.gcode' });
  const n = await waitJob('error', since, 20_000);
  assert.match((n.params![0] as { job: { message: string } }).job.message, /Move out of range/);
  const stats = (await ws.call('printer.objects.query', { objects: { print_stats: ['state', 'message'] } })).status.print_stats;
  assert.equal(stats.state, 'error');
  assert.match(stats.message, /Move out of range/);
});
