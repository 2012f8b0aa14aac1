// The fuzz run from Klippy's side: a seeded stream of generated frames (random JSON shapes in
// status updates and replies, forged replies to ids the server is waiting on, random bytes,
// invalid UTF-8, frames split and merged) from a misbehaving Klippy (HostileKlippy in front of
// the virtual Klippy), while a client keeps calling. The server runs in a child process: it
// must never exit, every client request must end (a result or a proper error), and afterwards
// it must serve Klippy ready again. MOONSTATE_FUZZ_COUNT (default 1,000 here) and
// MOONSTATE_FUZZ_SEED choose the run; a failure names the seed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess } from '../helpers/serverProcess.js';
import { HostileKlippy, startHostilePeer, type HostilePeer } from '../helpers/hostileKlippy.js';
import { RpcClient, RpcError } from '../helpers/rpcClient.js';
import { Rng } from '../helpers/fuzzInput.js';
import { chunked, klippyFrame, randomReply } from '../helpers/klippyFuzzInput.js';

const COUNT = Number(process.env.MOONSTATE_FUZZ_COUNT ?? 1000);
const SEED = Number(process.env.MOONSTATE_FUZZ_SEED ?? 20261201);
/** Methods whose replies the fuzzer may replace, and the client calls that make them. */
const REWRITABLE = ['objects/query', 'objects/list', 'info', 'gcode/script', 'objects/subscribe', 'list_endpoints', 'query_endstops/status'];
/** Codes a client may get while Klippy talks nonsense: refused, timed out, bad gateway, gone. */
const PROPER_CODES = new Set([400, 500, 502, 503]);

let klippy: HostileKlippy;
let peer: HostilePeer;
let server: ServerProcess;
let ws: RpcClient;

before(async () => {
  peer = await startHostilePeer('moonstate-fuzzk-', 50);
  ({ klippy } = peer);
  const { proxyPath } = peer;
  server = await ServerProcess.start(peer.dataPath, {
    klippyTimeoutMs: 500,
    config: `klippy_uds_address: ${proxyPath}\nklippy_gcode_timeout: 1\n[authorization]\ntrusted_clients: 127.0.0.0/8\n`,
  });
  await server.ready();
  ws = await RpcClient.connect(server.wsUrl);
  await ws.call('printer.objects.subscribe', { objects: { toolhead: null, webhooks: null, print_stats: null, extruder: null, virtual_sdcard: null } });
});

after(async () => {
  await ws.close();
  await server.stop();
  await peer.close();
});

const CALLS: Array<[string, Record<string, unknown>]> = [
  ['printer.objects.query', { objects: { gcode_move: null, toolhead: ['position'] } }],
  ['printer.objects.query', { objects: { webhooks: null } }],
  ['printer.objects.list', {}],
  ['printer.info', {}],
  ['server.info', {}],
  ['printer.gcode.script', { script: 'M115' }],
  ['printer.query_endstops.status', {}],
  ['printer.objects.subscribe', { objects: { toolhead: null, webhooks: null, heaters: null } }],
];

test(`${COUNT} generated frames from a misbehaving Klippy: the server lives and every request ends`, async () => {
  const rng = new Rng(SEED);
  const failures: string[] = [];
  const fail = (what: string) => {
    if (failures.length < 30) failures.push(`seed ${SEED}: ${what}`.slice(0, 400));
  };
  const inFlight = new Set<Promise<void>>();
  const call = (n: number) => {
    const [method, params] = rng.pick(CALLS);
    const p = ws.call(method, params).then(
      () => undefined,
      (e: unknown) => {
        if (!(e instanceof RpcError) || !PROPER_CODES.has(e.code)) fail(`#${n} ${method}: ${e instanceof RpcError ? `${e.code} ${e.message}` : String(e)}`);
      },
    );
    // A request that never ends is the failure this guards against (lost and forged replies).
    const guarded = Promise.race([p, new Promise<void>((r) => setTimeout(r, 30_000).unref()).then(() => fail(`#${n} ${method}: no answer in 30 s`))]);
    inFlight.add(guarded);
    void guarded.finally(() => inFlight.delete(guarded));
  };

  for (let n = 0; n < COUNT; n++) {
    if (rng.chance(0.02)) {
      // For a while, Klippy answers one method with nonsense (or not at all).
      const method = rng.pick(REWRITABLE);
      const mode = rng.int(3);
      klippy.rewrites.set(method, (msg) => (mode === 0 ? 'drop' : mode === 1 ? randomReply(rng, msg.id) : { id: msg.id, result: {} }));
    }
    if (rng.chance(0.02)) klippy.rewrites.clear();
    for (const chunk of chunked(rng, klippyFrame(rng, () => klippy.pendingIds()))) klippy.send(chunk);
    if (rng.chance(0.1)) call(n);
    if (n % 50 === 49) {
      // Let the stream through, and see that the server still answers from what it holds.
      const res = await fetch(`${server.url}/server/info`).catch((e: Error) => e);
      if (res instanceof Error || res.status !== 200) fail(`#${n}: server.info ${res instanceof Error ? res.message : res.status}`);
      if (server.exitedUnasked) break;
    }
  }
  klippy.rewrites.clear();
  await Promise.all(inFlight);
  assert.equal(server.exitedUnasked, undefined, `seed ${SEED}: the server exited`);
  assert.deepEqual(failures, []);
  // Klippy makes sense again: after a reconnect the server is ready and serves it.
  const since = ws.notifications.length;
  klippy.dropConnections();
  await ws.waitFor('notify_klippy_disconnected', undefined, 10_000, since);
  await server.ready();
  const q = await ws.call('printer.objects.query', { objects: { webhooks: null } });
  assert.equal(q.status.webhooks.state, 'ready');
  assert.equal((await ws.call('printer.gcode.script', { script: 'M115' })), 'ok');
  assert.equal(server.exitedUnasked, undefined);
});
