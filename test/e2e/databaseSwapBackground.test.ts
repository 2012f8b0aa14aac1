// Work that no request asked for (history records and totals at a job's start and end, the job
// queue saving itself, file-watcher callbacks dropping and moving metadata) meets the database
// while a compaction has it closed for a swap. None of it may throw out of its callback: a throw
// there is an uncaught exception, no client to send a 503 to. Compactions run back to back
// while prints start and end and files come and go; the process must see no uncaught exception
// or unhandled rejection, and the history must have recorded every print.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import type { RpcClient } from '../helpers/rpcClient.js';

let s: Stack;
let ws: RpcClient;
const escaped: unknown[] = [];
const onError = (err: unknown) => escaped.push(err);

before(async () => {
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  s = await startStack({ timeScale: 20 });
  writeFileSync(join(s.gcodesPath, 'tiny.gcode'), 'G28\nG1 X20 Y20 F600\nG1 X40 F600\nG1 X20 F600\n');
  await s.waitReady();
  ws = await s.ws();
});
after(async () => {
  await s.close();
  process.off('uncaughtException', onError);
  process.off('unhandledRejection', onError);
});

test('background database work waits out compactions instead of throwing', async () => {
  let compacting = true;
  let compactions = 0;
  const compactLoop = (async () => {
    while (compacting) {
      // Refused while a print runs (as Moonraker does): then it tries again at once.
      const r = await s.http('POST', '/server/database/compact');
      if (r.status === 200) compactions += 1;
      else assert.equal(r.status, 409, JSON.stringify(r.body));
    }
  })();
  const PRINTS = 12;
  const finished = new Set<string>();
  try {
    for (let i = 0; i < PRINTS; i++) {
      const since = ws.notifications.length;
      // Watcher callbacks: a folder of gcode appears and goes (metadata refresh, removeTree).
      const folder = join(s.gcodesPath, `f${i}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'a.gcode'), 'G28\n');
      await s.http('POST', '/server/job_queue/job', { filenames: ['tiny.gcode'] });
      const started = await s.http('POST', '/printer/print/start?filename=tiny.gcode');
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const done = await ws.waitFor(
        'notify_history_changed',
        (p) => {
          const c = p?.[0] as { action: string; job: { job_id: string } };
          return c.action === 'finished' && !finished.has(c.job.job_id);
        },
        20_000,
        since,
      );
      finished.add((done.params![0] as { job: { job_id: string } }).job.job_id);
      rmSync(folder, { recursive: true, force: true });
      await s.http('DELETE', '/server/job_queue/job?all=true');
    }
  } finally {
    compacting = false;
    await compactLoop;
  }
  assert.ok(compactions > 0);
  assert.deepEqual(escaped.map(String), []);
  // Every finished job was written, even those whose record met a swap.
  const list = (await s.http('GET', '/server/history/list?limit=100')).body.result as { jobs: { job_id: string; status: string }[] };
  for (const id of finished) assert.equal(list.jobs.find((j) => j.job_id === id)?.status, 'completed', `job ${id}`);
  const totals = (await s.http('GET', '/server/history/totals')).body.result.job_totals;
  assert.equal(totals.total_jobs, list.jobs.filter((j) => j.status === 'completed').length);
});
