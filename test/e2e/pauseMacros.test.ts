// PAUSE, RESUME and CANCEL_PRINT typed in a UI console go through the server's gcode endpoints
// to the virtual printer's macros; the print really pauses, resumes and cancels, and the
// server's print job follows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import type { RpcClient } from '../helpers/rpcClient.js';
import { jobState } from '../../src/components/job_state/index.js';

let s: Stack;
let ws: RpcClient;

before(async () => {
  s = await startStack({ timeScale: 20 });
  mkdirSync(s.gcodesPath, { recursive: true });
  const lines = ['G28', 'G90', 'G1 Z2 F600'];
  for (let i = 0; i < 100; i++) lines.push(`G1 X${i % 2 ? 10 : 210} Y60 F600`);
  writeFileSync(join(s.gcodesPath, 'long.gcode'), `${lines.join('\n')}\n`);
  await s.waitReady();
  ws = await s.ws();
});
after(() => s.close());

/** print_stats.state as a client reads it, once it is `want` (bounded: the answer may lag a tick). */
async function printState(want: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await s.http('GET', '/printer/objects/query?print_stats=state');
    const state = r.body.result.status.print_stats.state as string;
    if (state === want || Date.now() > deadline) return state;
    await new Promise((res) => setTimeout(res, 50));
  }
}

test('PAUSE, RESUME and CANCEL_PRINT sent as gcode change print_stats and the job', async () => {
  assert.equal(await ws.call('printer.print.start', { filename: 'long.gcode' }), 'ok');
  assert.equal(await printState('printing'), 'printing');
  // Past the file's G1 Z2, so the lift is measured from a known height.
  const deadline = Date.now() + 10_000;
  while ((await s.http('GET', '/printer/objects/query?toolhead=position')).body.result.status.toolhead.position[2] !== 2) {
    assert.ok(Date.now() < deadline, 'the print reaches Z2');
    await new Promise((r) => setTimeout(r, 50));
  }

  assert.equal((await s.http('POST', '/printer/gcode/script?script=PAUSE')).body.result, 'ok');
  assert.equal(await printState('paused'), 'paused');
  const parked = await s.http('GET', '/printer/objects/query?toolhead=position');
  assert.deepEqual(parked.body.result.status.toolhead.position.slice(0, 3), [230, 230, 7], 'the macro parked the head');

  assert.equal(await ws.call('printer.gcode.script', { script: 'RESUME' }), 'ok');
  assert.equal(await printState('printing'), 'printing');

  assert.equal(await ws.call('printer.gcode.script', { script: 'CANCEL_PRINT' }), 'ok');
  assert.equal(await printState('cancelled'), 'cancelled');
  const jobDeadline = Date.now() + 10_000;
  while (s.server.kernel.lookup(jobState).printJob.state !== 'cancelled' && Date.now() < jobDeadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(s.server.kernel.lookup(jobState).printJob.state, 'cancelled');
});
