// Each client receives only the objects and fields it subscribed to; Klippy gets the union.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/testStack.js';
import type { RpcClient, Notification } from '../helpers/rpcClient.js';

let s: Stack;

before(async () => {
  s = await startStack();
  await s.waitReady();
});
after(() => s.close());

const statusOf = (n: Notification) => n.params?.[0] as Record<string, Record<string, unknown>>;
const updates = (c: RpcClient, since = 0) => c.notifications.slice(since).filter((n) => n.method === 'notify_status_update').map(statusOf);

test('two clients with different subscriptions each get only their own objects and fields', async () => {
  const a = await s.ws();
  const b = await s.ws();
  const ra = await a.call('printer.objects.subscribe', { objects: { toolhead: ['position'] } });
  assert.deepEqual(Object.keys(ra.status), ['toolhead']);
  assert.deepEqual(Object.keys(ra.status.toolhead), ['position']);
  const rb = await b.call('printer.objects.subscribe', { objects: { extruder: null, heater_bed: ['target'] } });
  assert.deepEqual(Object.keys(rb.status).sort(), ['extruder', 'heater_bed']);
  assert.ok('temperature' in rb.status.extruder);
  const union = s.server.kernel.subscriptions.union();
  assert.ok('toolhead' in union && 'extruder' in union && 'heater_bed' in union, 'Klippy is asked for the union');

  const sinceA = a.notifications.length;
  const sinceB = b.notifications.length;
  await a.call('printer.gcode.script', { script: 'G28\nG1 X50 Y40 F6000\nM400\nM140 S60' });
  await a.waitFor('notify_status_update', (p) => (p?.[0] as { toolhead?: { position?: number[] } }).toolhead?.position?.[0] === 50, 10_000, sinceA);
  await b.waitFor('notify_status_update', (p) => (p?.[0] as { heater_bed?: { target?: number } }).heater_bed?.target === 60, 10_000, sinceB);
  for (const st of updates(a, sinceA)) {
    assert.deepEqual(Object.keys(st), ['toolhead']);
    assert.deepEqual(Object.keys(st.toolhead!), ['position']);
  }
  for (const st of updates(b, sinceB)) {
    for (const obj of Object.keys(st)) assert.ok(obj === 'extruder' || obj === 'heater_bed', `b got ${obj}`);
    if (st.heater_bed) assert.deepEqual(Object.keys(st.heater_bed), ['target']);
  }
  await a.close();
  await b.close();
});

test('a client that disconnects is dropped from the union sent to Klippy', async () => {
  const c = await s.ws();
  await c.call('printer.objects.subscribe', { objects: { fan: ['speed'] } });
  assert.ok('fan' in s.server.kernel.subscriptions.union());
  await c.close();
  const deadline = Date.now() + 2000;
  while ('fan' in s.server.kernel.subscriptions.union() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.ok(!('fan' in s.server.kernel.subscriptions.union()));
});

test('a new subscription replaces the old one for that client', async () => {
  const c = await s.ws();
  await c.call('printer.objects.subscribe', { objects: { toolhead: ['position'] } });
  await c.call('printer.objects.subscribe', { objects: { gcode_move: ['speed_factor'] } });
  const since = c.notifications.length;
  await c.call('printer.gcode.script', { script: 'M220 S150\nG28\nG1 X10 F3000\nM400' });
  await c.waitFor('notify_status_update', (p) => (p?.[0] as { gcode_move?: { speed_factor?: number } }).gcode_move?.speed_factor === 1.5, 10_000, since);
  for (const st of updates(c, since)) assert.deepEqual(Object.keys(st), ['gcode_move']);
  await c.call('printer.gcode.script', { script: 'M220 S100' });
  await c.close();
});

test('HTTP subscribe with connection_id binds the subscription to that websocket (FDM Monster)', async () => {
  const c = await s.ws();
  const id = (await c.call('printer.objects.list')) && [...s.server.kernel.connections.all()].at(-1)!.id;
  const r = await s.http('POST', `/printer/objects/subscribe?connection_id=${id}&display_status&webhooks`);
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body.result.status).sort(), ['display_status', 'webhooks']);
  const since = c.notifications.length;
  await s.http('POST', '/printer/gcode/script?script=' + encodeURIComponent('M117 from-fdm'));
  const n = await c.waitFor('notify_status_update', (p) => (p?.[0] as { display_status?: { message?: string } }).display_status?.message === 'from-fdm', 10_000, since);
  assert.deepEqual(Object.keys(statusOf(n)), ['display_status']);
  await c.close();
});

test('HTTP subscribe without a connection feeds every websocket that has no subscription of its own (the spec)', async () => {
  const plain = await s.ws();
  const own = await s.ws();
  await own.call('printer.objects.subscribe', { objects: { heater_bed: ['target'] } });
  const r = await s.http('POST', '/printer/objects/subscribe?display_status=message');
  assert.deepEqual(Object.keys(r.body.result.status), ['display_status']);
  const sincePlain = plain.notifications.length;
  const sinceOwn = own.notifications.length;
  await s.http('POST', '/printer/gcode/script?script=' + encodeURIComponent('M117 broadcast-me'));
  await plain.waitFor('notify_status_update', (p) => (p?.[0] as { display_status?: { message?: string } }).display_status?.message === 'broadcast-me', 10_000, sincePlain);
  await new Promise((res) => setTimeout(res, 600));
  assert.ok(updates(own, sinceOwn).every((st) => !('display_status' in st)));
  await plain.close();
  await own.close();
});
