// Klippy killed and started again many times in a row, idle, mid-request and mid-print. The
// server runs in a child process (a crash shows as an exit; its heap is read after real
// garbage collections); the virtual Klippy runs here, where the test can kill it.
// MOONSTATE_FAULT_ROUNDS sets the number of rounds (default 10; the full run is 100).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualKlippy } from '../../src/sim/virtualKlippy.js';
import { ServerProcess } from '../helpers/serverProcess.js';
import { RpcClient, RpcError } from '../helpers/rpcClient.js';

const ROUNDS = Number(process.env.MOONSTATE_FAULT_ROUNDS ?? 10);
/** Heap growth after every round that still counts as "back to baseline". */
const HEAP_TOLERANCE_BYTES = 4 * 1024 * 1024;

let dir: string;
let sim: VirtualKlippy;
let server: ServerProcess;
let clients: RpcClient[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moonstate-faults-'));
  const socketPath = join(dir, 'klippy.sock');
  const gcodes = join(dir, 'data', 'gcodes');
  mkdirSync(gcodes, { recursive: true });
  // Long enough to be printing whenever it is killed.
  writeFileSync(join(gcodes, 'long.gcode'), 'G28\n' + Array.from({ length: 500 }, (_, i) => `G1 X${10 + (i % 100)} Y${10 + (i % 7)} F600`).join('\n') + '\n');
  sim = new VirtualKlippy({ socketPath, gcodesPath: gcodes, timeScale: 1, startupDelayMs: 50, restartDelayMs: 50 });
  await sim.start();
  server = await ServerProcess.start(join(dir, 'data'), {
    exposeGc: true,
    config: `klippy_uds_address: ${socketPath}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n`,
  });
  await server.ready();
  clients = [];
  for (let i = 0; i < 3; i++) clients.push(await RpcClient.connect(server.wsUrl));
  await clients[0]!.call('printer.objects.subscribe', { objects: { toolhead: null, print_stats: null } });
  await clients[1]!.call('printer.objects.subscribe', { objects: { extruder: ['temperature'] } });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.stop();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Moment = 'idle' | 'mid-request' | 'mid-print';

/** Kills Klippy at `moment`, starts it again; every client must hear both announcements. */
async function round(moment: Moment): Promise<void> {
  const since = clients.map((c) => c.notifications.length);
  let inFlight: Promise<unknown> | undefined;
  if (moment === 'mid-request') {
    // A dwell keeps the request waiting for Klippy when it goes away.
    inFlight = clients[2]!.call('printer.gcode.script', { script: 'G4 P10000' });
    await clients[2]!.call('printer.info');
  } else if (moment === 'mid-print') {
    await clients[2]!.call('printer.print.start', { filename: 'long.gcode' });
  }
  await sim.stop();
  if (inFlight) await assert.rejects(inFlight, (e: unknown) => e instanceof RpcError && e.code === 503);
  await Promise.all(clients.map((c, i) => c.waitFor('notify_klippy_disconnected', undefined, 10_000, since[i])));
  await sim.start();
  await Promise.all(clients.map((c, i) => c.waitFor('notify_klippy_ready', undefined, 10_000, since[i])));
  assert.equal(server.exitedUnasked, undefined, 'the server exited');
}

const moments: Moment[] = ['idle', 'mid-request', 'mid-print'];

test(`Klippy killed and restarted ${ROUNDS} times: the server stays up, clients are told each time, the heap returns`, async (t) => {
  // One round of each kind first, so lazily built things (caches, compiled code) are in the baseline.
  for (const m of moments) await round(m);
  const baseline = (await server.stats()).heapAfterGc!;
  for (let i = 0; i < ROUNDS; i++) await round(moments[i % moments.length]!);
  const end = await server.stats();
  assert.equal(end.klippyState, 'ready');
  const grown = end.heapAfterGc! - baseline;
  assert.ok(
    grown < HEAP_TOLERANCE_BYTES,
    `heap after GC grew by ${(grown / 1024 / 1024).toFixed(2)} MiB over ${ROUNDS} rounds (baseline ${(baseline / 1024 / 1024).toFixed(1)} MiB)`,
  );
  // Every client still works.
  for (const c of clients) assert.equal((await c.call('printer.info')).state, 'ready');
  // Clients connect to the server, not to Klippy: none of them was ever dropped.
  assert.equal(server.exitedUnasked, undefined);
  t.diagnostic(`heap after GC: baseline ${baseline} bytes, grown ${grown} bytes after ${ROUNDS} rounds`);
});
