// Print history over the public API, fed by real prints on the virtual Klippy: entries with
// Moonraker's fields as jobs start and end (completed, cancelled, error), totals that add up,
// list filters, delete and reset, notify_history_changed, and what a restart does to a job.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';
import { startServer } from '../../src/server.js';
import type { HistoryJob } from '../../src/components/history/printHistory.js';
import { sample } from '../helpers/gcodeSamples.js';
import { identify } from '../helpers/clientReplay.js';

let s: Stack;
let ws: RpcClient;

/** About `seconds` of simulated printing, extruding as it goes (filament_used grows). */
function extrudingGcode(seconds: number): string {
  const lines = ['G28', 'G90', 'M83', 'G1 Z5 F600'];
  for (let i = 0; i < seconds / 10; i++) lines.push(`G1 X${i % 2 === 0 ? 110 : 10} Y50 E2 F600`);
  return lines.join('\n') + '\n';
}

before(async () => {
  s = await startStack({ timeScale: 25 });
  writeFileSync(join(s.gcodesPath, 'short.gcode'), extrudingGcode(30));
  writeFileSync(join(s.gcodesPath, 'second.gcode'), extrudingGcode(20));
  writeFileSync(join(s.gcodesPath, 'long.gcode'), extrudingGcode(600));
  writeFileSync(join(s.gcodesPath, 'broken.gcode'), 'G28\nM83\nG1 X20 E1 F3000\nG1 X1000 F3000\n');
  await s.waitReady();
  ws = await s.ws();
  // Hot enough to extrude, once for every print of this file.
  await ws.call('printer.gcode.script', { script: 'M109 S200' });
});
after(() => s.close());

const historyEvent = (action: string, filename: string, since: number, timeout = 30_000) =>
  ws.waitFor('notify_history_changed', (p) => {
    const c = p?.[0] as { action: string; job: HistoryJob };
    return c.action === action && c.job.filename === filename;
  }, timeout, since);
const jobOf = (n: { params?: unknown[] }) => (n.params![0] as { job: HistoryJob }).job;

test('a print run to completion is recorded when it starts and when it ends, with Moonraker\'s fields', async () => {
  const since = ws.notifications.length;
  const before = Date.now() / 1000;
  assert.equal((await s.http('POST', '/printer/print/start?filename=short.gcode')).status, 200);
  const added = jobOf(await historyEvent('added', 'short.gcode', since));
  assert.match(added.job_id, /^[0-9A-F]{6}$/);
  assert.equal(added.status, 'in_progress');
  assert.equal(added.end_time, null);
  assert.equal(added.user, 'No User');
  assert.ok(added.start_time >= before - 1 && added.start_time <= Date.now() / 1000, `start_time ${added.start_time}`);
  assert.deepEqual(added.auxiliary_data, []);
  assert.equal(added.exists, true);
  assert.equal(added.metadata.size, Buffer.byteLength(extrudingGcode(30)));
  assert.equal(typeof added.metadata.modified, 'number');

  const inList = (await s.http('GET', '/server/history/list')).body.result;
  assert.equal(inList.jobs[0].status, 'in_progress');

  const done = jobOf(await historyEvent('finished', 'short.gcode', since));
  assert.equal(done.job_id, added.job_id);
  assert.equal(done.status, 'completed');
  assert.ok(done.end_time! > done.start_time, `end ${done.end_time} start ${done.start_time}`);
  assert.ok(done.total_duration > 0 && done.print_duration > 0 && done.print_duration <= done.total_duration, JSON.stringify(done));
  assert.ok(done.filament_used > 0, `filament_used ${done.filament_used}`);
  // Klippy's own numbers, as print_stats reported them at the end.
  const stats = (await ws.call('printer.objects.query', { objects: { print_stats: null } })).status.print_stats;
  assert.equal(done.total_duration, stats.total_duration);
  assert.equal(done.filament_used, stats.filament_used);

  const got = await ws.call('server.history.get_job', { uid: done.job_id });
  assert.deepEqual(got.job, done);
  const http = await s.http('GET', `/server/history/job?uid=${done.job_id}`);
  assert.deepEqual(http.body.result.job, done);
  // FDM Monster's call.
  const fdm = await s.http('GET', '/server/history/list?limit=5&start=0&order=desc');
  assert.equal(fdm.status, 200);
  assert.equal(fdm.body.result.count, 1);
  assert.deepEqual(fdm.body.result.jobs[0], done);
});

test('a cancelled print and an errored print get their statuses; totals add up over all jobs', async () => {
  let since = ws.notifications.length;
  await ws.call('printer.print.start', { filename: 'long.gcode' });
  await historyEvent('added', 'long.gcode', since);
  const resetWhileRunning = await s.http('POST', '/server/history/reset_totals');
  assert.equal(resetWhileRunning.status, 400);
  assert.match(resetWhileRunning.body.error.message, /Job in progress/);
  await ws.call('printer.print.cancel');
  assert.equal(jobOf(await historyEvent('finished', 'long.gcode', since)).status, 'cancelled');

  since = ws.notifications.length;
  await ws.call('printer.print.start', { filename: 'broken.gcode' });
  const broken = jobOf(await historyEvent('finished', 'broken.gcode', since));
  assert.equal(broken.status, 'error');

  const { jobs } = await ws.call('server.history.list', {});
  assert.deepEqual(jobs.map((j: HistoryJob) => j.status), ['error', 'cancelled', 'completed']);
  const ids = jobs.map((j: HistoryJob) => parseInt(j.job_id, 16));
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');

  const { job_totals, auxiliary_totals } = (await s.http('GET', '/server/history/totals')).body.result;
  assert.deepEqual(auxiliary_totals, []);
  const sum = (f: (j: HistoryJob) => number) => jobs.reduce((t: number, j: HistoryJob) => t + f(j), 0);
  assert.equal(job_totals.total_jobs, 3);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} != ${b}`);
  close(job_totals.total_time, sum((j) => j.total_duration), 'total_time');
  close(job_totals.total_print_time, sum((j) => j.print_duration), 'total_print_time');
  close(job_totals.total_filament_used, sum((j) => j.filament_used), 'total_filament_used');
  assert.equal(job_totals.longest_job, Math.max(...jobs.map((j: HistoryJob) => j.total_duration)));
  assert.equal(job_totals.longest_print, Math.max(...jobs.map((j: HistoryJob) => j.print_duration)));
});

test('list: order, limit and start, since and before, limit 0 for all, bad order refused', async () => {
  const all = (await ws.call('server.history.list', { order: 'asc', limit: 0 })).jobs as HistoryJob[];
  assert.equal(all.length, 3);
  assert.deepEqual(all.map((j) => j.filename), ['short.gcode', 'long.gcode', 'broken.gcode']);
  const page = await s.http('GET', '/server/history/list?limit=1&start=1&order=asc');
  assert.deepEqual(page.body.result.jobs.map((j: HistoryJob) => j.filename), ['long.gcode']);
  assert.equal(page.body.result.count, 1);
  const since = (await ws.call('server.history.list', { since: all[0]!.start_time, order: 'asc' })).jobs as HistoryJob[];
  assert.deepEqual(since.map((j) => j.filename), ['long.gcode', 'broken.gcode']);
  const beforeEnd = (await ws.call('server.history.list', { before: all[1]!.end_time! + 0.0001 })).jobs as HistoryJob[];
  assert.deepEqual(beforeEnd.map((j) => j.filename), ['long.gcode', 'short.gcode']);
  const bad = await s.http('GET', '/server/history/list?order=sideways');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.message, 'Invalid `order` value: SIDEWAYS');
});

test('exists turns false when the file is deleted; unknown uids are 404', async () => {
  rmSync(join(s.gcodesPath, 'broken.gcode'));
  const { jobs } = await ws.call('server.history.list', {});
  assert.equal(jobs.find((j: HistoryJob) => j.filename === 'broken.gcode').exists, false);
  assert.equal(jobs.find((j: HistoryJob) => j.filename === 'short.gcode').exists, true);
  await assert.rejects(ws.call('server.history.get_job', { uid: 'FFFFFF' }), (e: unknown) => e instanceof RpcError && e.code === 404 && e.message === 'Invalid job uid: FFFFFF');
  assert.equal((await s.http('GET', '/server/history/job?uid=nothex')).status, 404);
  assert.equal((await s.http('DELETE', '/server/history/job?uid=ABCDEF')).status, 404);
});

test('reset_totals returns the last totals and zeroes them; delete one job, then all', async () => {
  const before = (await ws.call('server.history.totals')).job_totals;
  const reset = await s.http('POST', '/server/history/reset_totals');
  assert.equal(reset.status, 200);
  assert.deepEqual(reset.body.result.last_totals, before);
  assert.deepEqual(reset.body.result.last_auxiliary_totals, []);
  assert.deepEqual((await ws.call('server.history.totals')).job_totals, {
    total_jobs: 0,
    total_time: 0,
    total_print_time: 0,
    total_filament_used: 0,
    longest_job: 0,
    longest_print: 0,
  });

  const { jobs } = await ws.call('server.history.list', { order: 'asc' });
  const first = jobs[0].job_id as string;
  const del = await s.http('DELETE', `/server/history/job?uid=${first}`);
  assert.deepEqual(del.body.result, { deleted_jobs: [first] });
  assert.equal((await s.http('GET', `/server/history/job?uid=${first}`)).status, 404);
  const rest = await ws.call('server.history.delete_job', { all: true });
  assert.deepEqual(rest.deleted_jobs, jobs.slice(1).map((j: HistoryJob) => j.job_id));
  assert.equal((await ws.call('server.history.list', {})).count, 0);
  // Totals are independent of the entries.
  assert.equal((await ws.call('server.history.totals')).job_totals.total_jobs, 0);
  await assert.rejects(ws.call('server.history.delete_job', {}), (e: unknown) => e instanceof RpcError && e.code === -32602);
});

test('a job carries the file\'s metadata as Moonraker stores it; the file\'s metadata names the job', async () => {
  // A real PrusaSlicer header (thumbnails, banner) and config footer around a short print.
  const sign = readFileSync(sample('prusaslicer-2.7.4_plant-sign.gcode'));
  const body = Buffer.from(extrudingGcode(30));
  // 9778 and 534234: the sample's gcode_start_byte and gcode_end_byte (golden test).
  writeFileSync(join(s.gcodesPath, 'sign.gcode'), Buffer.concat([sign.subarray(0, 9779), body, sign.subarray(534234)]));
  const since = ws.notifications.length;
  await ws.call('printer.print.start', { filename: 'sign.gcode' });
  const added = jobOf(await historyEvent('added', 'sign.gcode', since));
  const m = added.metadata as Record<string, unknown> & { thumbnails: Array<Record<string, unknown>> };
  assert.equal(m.slicer, 'PrusaSlicer');
  assert.equal(m.estimated_time, 1634);
  assert.equal(m.filament_weight_total, 4.91);
  assert.equal(m.gcode_start_byte, 9778);
  assert.ok(!('print_start_time' in m) && !('job_id' in m) && !('filename' in m), 'the file\'s own print fields are not copied into the job');
  assert.deepEqual(m.thumbnails.map((t) => t.relative_path), ['.thumbs/sign-32x32.png', '.thumbs/sign-16x16.png', '.thumbs/sign-220x124.png']);
  for (const t of m.thumbnails) {
    assert.deepEqual(Object.keys(t).sort(), ['height', 'relative_path', 'size', 'width'], 'no inline data');
    assert.equal(statSync(join(s.gcodesPath, t.relative_path as string)).size, t.size);
  }
  // Written before the job is announced: a client that reloads the file sees the job at once.
  const today = await s.ws();
  await identify(today, 'mainsail', 'web', '2.18.2');
  const meta = await today.call('server.files.metadata', { filename: 'sign.gcode' });
  assert.equal(meta.print_start_time, added.start_time);
  assert.equal(meta.job_id, added.job_id);

  await ws.call('printer.print.cancel');
  const done = jobOf(await historyEvent('finished', 'sign.gcode', since));
  assert.equal(done.metadata.slicer, 'PrusaSlicer');
  assert.equal(done.exists, true);
  assert.deepEqual((await ws.call('server.history.get_job', { uid: done.job_id })).job.metadata, done.metadata);
  // Leave the history as the next test expects it: empty, totals zero.
  await ws.call('server.history.delete_job', { all: true });
  await ws.call('server.history.reset_totals');
  // The cancel turned the heaters off; the next print extrudes.
  await ws.call('printer.gcode.script', { script: 'M109 S200' });
});

test('a restart mid-print: the entry is interrupted at startup, taken up again while the print goes on, and stays interrupted if it does not', async () => {
  // The cancel above ran the printer's CANCEL_PRINT macro, which turns the heaters off.
  await ws.call('printer.gcode.script', { script: 'M109 S200' });
  const since = ws.notifications.length;
  await ws.call('printer.print.start', { filename: 'long.gcode' });
  const added = jobOf(await historyEvent('added', 'long.gcode', since));
  const config = s.server.kernel.config;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const get = async (base: string, path: string): Promise<any> => ((await fetch(base + path).then((r) => r.json())) as { result: unknown }).result;
  await s.server.close();

  // Same data folder, same (still printing) Klippy.
  const again = await startServer({ config, logToFile: false });
  try {
    const deadline = Date.now() + 10_000;
    let job: HistoryJob;
    do {
      await new Promise((r) => setTimeout(r, 50));
      job = (await get(again.url, `/server/history/job?uid=${added.job_id}`)).job;
    } while (job.status !== 'in_progress' && Date.now() < deadline);
    assert.equal(job.status, 'in_progress', 'the same print, still printing, continues its entry');
    assert.equal(job.start_time, added.start_time);
    const list = await get(again.url, '/server/history/list');
    assert.equal(list.count, 1, 'one print, one entry');
  } finally {
    await again.close();
  }

  // Klippy stops too: nothing to take the entry up again.
  await s.sim.stop();
  const third = await startServer({ config, logToFile: false });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const job = (await get(third.url, `/server/history/job?uid=${added.job_id}`)).job as HistoryJob;
    assert.equal(job.status, 'interrupted');
    assert.equal(job.end_time, null);
    const totals = (await get(third.url, '/server/history/totals')).job_totals;
    assert.equal(totals.total_jobs, 0, 'an interrupted job is not counted');
  } finally {
    await third.close();
  }
});
