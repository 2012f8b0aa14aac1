// printer.objects.query answered from the live subscription's cache when it covers the query,
// and from Klippy otherwise. What Klippy itself answers is read over a second, raw connection
// to the virtual Klippy, so the cached reply is compared with the real thing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';
import { RawClient } from '../sim/rawClient.js';
import type { JsonObject, ObjectSelection } from '../../src/shared/klippyProtocol.js';

let s: Stack;
let ws: RpcClient;

const SUBSCRIBED: ObjectSelection = { toolhead: null, extruder: ['temperature', 'target'], print_stats: null };

before(async () => {
  s = await startStack();
  await s.waitReady();
  ws = await s.ws();
  await ws.call('printer.objects.subscribe', { objects: SUBSCRIBED });
});
after(() => s.close());

const queriesSent = () => s.sim.faults.requestCounts.get('objects/query') ?? 0;

/** The value's JSON type, telling arrays and null from objects. */
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Objects, their keys and each value's type: what must match between cache and Klippy. */
function shape(status: Record<string, JsonObject>): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(status).map(([obj, fields]) => [obj, Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, kind(v)]))]),
  );
}

async function klippyAnswer(objects: ObjectSelection): Promise<{ eventtime: unknown; status: Record<string, JsonObject> }> {
  const raw = await RawClient.connect(s.socketPath);
  try {
    return (await raw.result('objects/query', { objects })) as { eventtime: unknown; status: Record<string, JsonObject> };
  } finally {
    raw.close();
  }
}

test('a covered query is answered without asking Klippy, in the shape Klippy gives', async () => {
  const queries: ObjectSelection[] = [
    SUBSCRIBED,
    { toolhead: ['position', 'homed_axes', 'no_such_field'] },
    { extruder: ['target'], print_stats: ['state', 'filename'] },
    { webhooks: ['state'] },
    {},
  ];
  for (const objects of queries) {
    const sentBefore = queriesSent();
    const viaWs = await ws.call('printer.objects.query', { objects });
    const viaHttp = await s.http('POST', '/printer/objects/query', { objects });
    assert.equal(queriesSent(), sentBefore, `${JSON.stringify(objects)} reached Klippy`);
    const direct = await klippyAnswer(objects);
    assert.equal(typeof viaWs.eventtime, 'number');
    assert.deepEqual(shape(viaWs.status), shape(direct.status), JSON.stringify(objects));
    assert.deepEqual(shape(viaHttp.body.result.status), shape(direct.status), JSON.stringify(objects));
  }
});

test('the cached answer follows the printer', async () => {
  await ws.call('printer.gcode.script', { script: 'M104 S42' });
  // The next tick carries the new target; a query after it must not answer the old one.
  await ws.waitFor('notify_status_update', (p) => (p?.[0] as { extruder?: { target?: number } }).extruder?.target === 42);
  const r = await ws.call('printer.objects.query', { objects: { extruder: ['target'] } });
  assert.equal(r.status.extruder.target, 42);
  await ws.call('printer.gcode.script', { script: 'M104 S0' });
});

test('right after a command: the first query asks Klippy once for the whole union; the next ones are cached again', async () => {
  // A gcode that changes no subscribed object: Klippy sends no update, so the cache only knows
  // it is current by asking.
  await ws.call('printer.gcode.script', { script: 'M117 hello' });
  const sentBefore = queriesSent();
  const answers = await Promise.all([
    ws.call('printer.objects.query', { objects: { print_stats: ['state'] } }),
    s.http('GET', '/printer/objects/query?toolhead=position'),
    ws.call('printer.objects.query', { objects: { extruder: ['target'] } }),
  ]);
  assert.equal(queriesSent(), sentBefore + 1, 'concurrent stale queries share one refresh');
  assert.equal(answers[0].status.print_stats.state, 'standby');
  for (let i = 0; i < 5; i++) await ws.call('printer.objects.query', { objects: SUBSCRIBED });
  assert.equal(queriesSent(), sentBefore + 1, 'with no write since, the cache answers');
  // Reading endpoints are not writes.
  await ws.call('printer.info');
  await ws.call('printer.objects.list');
  await ws.call('printer.objects.query', { objects: SUBSCRIBED });
  assert.equal(queriesSent(), sentBefore + 1);
});

test('queries the subscription does not cover go to Klippy', async () => {
  const uncovered: ObjectSelection[] = [
    { gcode_move: ['speed'] },
    // All of extruder's fields: the subscription has only two of them.
    { extruder: null },
    { extruder: ['temperature', 'pressure_advance'] },
    { toolhead: null, heater_bed: null },
  ];
  for (const objects of uncovered) {
    const sentBefore = queriesSent();
    const r = await ws.call('printer.objects.query', { objects });
    assert.equal(queriesSent(), sentBefore + 1, `${JSON.stringify(objects)} did not reach Klippy`);
    assert.deepEqual(shape(r.status), shape((await klippyAnswer(objects)).status));
  }
});

test('no cached answers while Klippy is away, and again once it is ready', async () => {
  await s.sim.stop();
  await s.waitState('disconnected');
  await assert.rejects(ws.call('printer.objects.query', { objects: { toolhead: null } }), (e: unknown) => e instanceof RpcError && e.code === 503);
  await s.sim.start();
  await s.waitReady();
  const sentBefore = queriesSent();
  const r = await ws.call('printer.objects.query', { objects: { toolhead: ['homed_axes'] } });
  assert.equal(queriesSent(), sentBefore);
  assert.equal(typeof r.status.toolhead.homed_axes, 'string');
});

test("a cached answer carries Klippy's clock now, not the time of the last change", async (t) => {
  // Real time in the sim (time scale 1), and an object that does not change while idle: its
  // last change is old, yet Klippy would answer with the eventtime of its latest tick.
  const idle = await startStack({ timeScale: 1 });
  t.after(() => idle.close());
  await idle.waitReady();
  const c = await idle.ws();
  await c.call('printer.objects.subscribe', { objects: { print_stats: ['state'] } });
  await new Promise((r) => setTimeout(r, 2500));
  const cached = await c.call('printer.objects.query', { objects: { webhooks: ['state'] } });
  const raw = await RawClient.connect(idle.socketPath);
  const direct = (await raw.result('objects/query', { objects: { webhooks: ['state'] } })) as { eventtime: number };
  raw.close();
  // Klippy answers on its next tick (up to 0.25 s later); a stale time would be 2.5 s behind.
  const lag = direct.eventtime - (cached.eventtime as number);
  assert.ok(lag >= 0 && lag < 1.2, `cached eventtime ${String(cached.eventtime)} vs Klippy's ${direct.eventtime}`);
});
