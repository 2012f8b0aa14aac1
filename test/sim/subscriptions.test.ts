import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../../src/shared/klippyProtocol.js';
import { startSim, type RawClient } from './rawClient.js';

const updates = (c: RawClient): Array<{ eventtime: number; status: Record<string, JsonObject> }> =>
  c.messages
    .filter((m) => m.method === 'process_status_update')
    .map((m) => m.params as { eventtime: number; status: Record<string, JsonObject> });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function subscribe(c: RawClient, objects: JsonObject): Promise<JsonObject> {
  return c.result('objects/subscribe', { objects, response_template: { method: 'process_status_update' } });
}

test('subscribe replies with full values, then sends only changed fields', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  const first = await subscribe(c, { display_status: null, fan: ['speed'] });
  assert.deepEqual((first.status as JsonObject).display_status, { progress: 0, message: null });
  assert.deepEqual((first.status as JsonObject).fan, { speed: 0 });
  await c.result('gcode/script', { script: 'M117 Printing now' });
  const u = await c.waitFor(() => updates(c).find((x) => x.status.display_status));
  assert.deepEqual(u.status, { display_status: { message: 'Printing now' } }, 'only the changed field, no fan');
  assert.equal(typeof u.eventtime, 'number');
  assert.ok(u.eventtime > (first.eventtime as number));
});

test('nothing is sent while nothing changes', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  await subscribe(c, { display_status: ['message'], pause_resume: null, webhooks: null });
  await sleep(800);
  assert.deepEqual(updates(c), []);
});

test('a new subscribe replaces the previous one on that connection', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  await subscribe(c, { display_status: ['message'] });
  await subscribe(c, { fan: ['speed'] });
  await c.result('gcode/script', { script: 'M117 ignored\nM106 S127.5' });
  const u = await c.waitFor(() => updates(c).find((x) => x.status.fan));
  assert.deepEqual(u.status, { fan: { speed: 0.5 } });
  await sleep(400);
  assert.ok(!updates(c).some((x) => x.status.display_status), 'old subscription no longer reported');
});

test('two connections have independent subscriptions and templates', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const a = h.client;
  const b = await h.connect();
  await a.result('objects/subscribe', {
    objects: { display_status: ['message'] },
    response_template: { method: 'process_status_update' },
  });
  await b.result('objects/subscribe', { objects: { fan: ['speed'] }, response_template: { method: 'mine', extra: 1 } });
  await a.result('gcode/script', { script: 'M117 for a' });
  await a.waitFor(() => updates(a).find((x) => x.status.display_status));
  await b.result('gcode/script', { script: 'M106 S255' });
  const mine = await b.waitFor(() => b.messages.find((m) => m.method === 'mine'));
  assert.equal(mine.extra, 1);
  assert.deepEqual((mine.params as JsonObject).status, { fan: { speed: 1 } });
  await sleep(400);
  assert.ok(!updates(a).some((x) => x.status.fan), 'a never asked for the fan');
  assert.ok(!b.messages.some((m) => JSON.stringify(m).includes('for a')), 'b never asked for the message');
});

test('a null field list subscribes to every field; a subscriber hanging up does not disturb others', async (t) => {
  const h = await startSim({ timeScale: 50 });
  t.after(() => h.cleanup());
  const a = h.client;
  const first = await subscribe(a, { gcode_move: null });
  assert.ok(Object.keys((first.status as Record<string, JsonObject>).gcode_move ?? {}).length >= 9);
  await a.result('gcode/script', { script: 'G28\nG1 X20 F6000\nM220 S150' });
  const u = await a.waitFor(() => updates(a).find((x) => x.status.gcode_move?.speed_factor !== undefined));
  assert.equal(u.status.gcode_move?.speed_factor, 1.5);
  const b = await h.connect();
  await subscribe(b, { fan: null });
  b.close();
  await a.result('gcode/script', { script: 'M106 S255\nG1 X30 F6000' });
  const moved = await a.waitFor(() =>
    updates(a).find((x) => (x.status.gcode_move?.gcode_position as number[] | undefined)?.[0] === 30),
  );
  assert.deepEqual(moved.status.gcode_move?.position, [30, 0, 0, 0]);
});
