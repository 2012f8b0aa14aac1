// The example scenario through the real command line (moonstate-sim scenario), against an
// in-process virtual Klippy and the real server: the recording holds the exact transitions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Recording, RecordedTransition } from '../../src/scenario/runScenario.js';

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/moonstateSim.ts', 'scenario', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const path = (t: RecordedTransition) => `${t.from} -> ${t.to}`;

test('scenarios/pause-resume.yaml: the recording holds every transition, in order, with times', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scenario-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'recording.json');
  const r = await runCli(['scenarios/pause-resume.yaml', '--out', out, '--time-scale', '40']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', 'with --out, nothing on stdout');
  assert.match(r.stderr, /\[14\/14\] wait printJob standby/);
  const rec = JSON.parse(readFileSync(out, 'utf8')) as Recording;
  assert.equal(rec.ok, true, rec.error);
  assert.equal(rec.scenario, 'pause, resume, complete, restart');
  assert.equal(rec.timeScale, 40);
  assert.deepEqual(rec.initial.map((i) => [i.machine, i.state]).sort(), [
    ['jobQueue', 'paused'],
    ['klippyConnection', 'connecting'],
    ['printJob', 'standby'],
    ['statusSubscription', 'none'],
  ]);
  assert.equal(rec.steps.length, 14);
  assert.ok(rec.steps.every((s) => s.done !== undefined && s.done >= s.t));

  const job = rec.transitions.filter((x) => x.machine === 'printJob');
  assert.deepEqual(job.map(path), ['standby -> printing', 'printing -> paused', 'paused -> printing', 'printing -> complete', 'complete -> standby']);
  assert.ok(job.every((x) => x.event === 'PRINT_STATS' && x.actorId === 'printJob:1'));

  const conn = rec.transitions.filter((x) => x.machine === 'klippyConnection');
  assert.equal(path(conn[0]!), 'connecting -> connected.identifying');
  for (let i = 1; i < conn.length; i++) assert.equal(conn[i]!.from, conn[i - 1]!.to, conn.map(path).join(', '));
  // The union subscription: sent at the first connection, lost with the restart, restored.
  const subs = rec.transitions.filter((x) => x.machine === 'statusSubscription').map(path);
  assert.deepEqual(subs.slice(0, 2), ['none -> subscribing', 'subscribing -> active.fresh'], subs.join(', '));
  assert.ok(subs.includes('lost -> restoring') && subs.at(-1)!.endsWith('-> active.fresh'), subs.join(', '));
  const readies = conn.filter((x) => x.to === 'connected.ready');
  assert.equal(readies.length, 2, 'ready at the start and again after the restart');
  const lost = conn.find((x) => path(x) === 'connected.ready -> disconnected');
  assert.equal(lost?.event, 'SOCKET_CLOSED');
  // The timeline: the job ran between the two readies, the restart came after it completed.
  const complete = job.find((x) => x.to === 'complete')!;
  assert.ok(readies[0]!.t < job[0]!.t && complete.t < lost.t && lost.t < readies[1]!.t);
  const times = rec.transitions.map((x) => x.t);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in time order');
  // The pause step came between printing and paused.
  const pauseStep = rec.steps.find((s) => s.does === 'pause')!;
  assert.ok(job[0]!.t <= pauseStep.t && pauseStep.t <= job[1]!.t);
});

test('a failing step stops the run: exit 1, and the recording says which step and why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scenario-fail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'fails.json');
  writeFileSync(file, JSON.stringify({ steps: [{ connect: {} }, { gcode: 'G1 X10' }, { sleep: 5 }] }));
  const r = await runCli([file]);
  assert.equal(r.code, 1, r.stderr);
  const rec = JSON.parse(r.stdout) as Recording;
  assert.equal(rec.ok, false);
  assert.match(rec.error ?? '', /^step 2 \(gcode "G1 X10"\): 400 Must home axis first/);
  assert.equal(rec.steps.length, 2, 'the sleep never ran');
  assert.equal(rec.steps[1]!.done, undefined);
  assert.match(r.stderr, /FAILED: step 2/);

  const bad = await runCli([join(dir, 'missing.yaml')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /cannot read .*missing\.yaml/);
});
