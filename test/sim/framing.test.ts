import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtxDecoder } from '../../src/shared/etxFraming.js';
import { startSim, RawClient } from './rawClient.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('malformed frames are dropped without a reply and the connection keeps working', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  const bad = [
    'not json at all',
    '[1, 2, 3]',
    '"a string"',
    'null',
    '{"id": 101, "method": 5}',
    '{"id": 102, "params": {}}',
    '{"id": 103, "method": "info", "params": [1]}',
    '{"id": 104, "method": "info", "params": null}',
    '{"id": 105, "method": "info"',
  ];
  for (const b of bad) c.sendRaw(`${b}\x03`);
  const reply = await c.result('info');
  assert.equal(reply.state, 'ready');
  await sleep(100);
  assert.deepEqual(c.messages, [], 'no reply to any malformed frame');
  assert.equal(c.closed, false);
});

test('a request split across writes, and several in one write, are all answered', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  const frame = '{"id":201,"method":"gcode/script","params":{"script":"M117 héllo ✓"}}\x03';
  const bytes = Buffer.from(frame);
  for (let i = 0; i < bytes.length; i += 3) {
    c.sendRaw(bytes.subarray(i, i + 3));
    await sleep(1);
  }
  c.sendRaw('{"id":202,"method":"objects/query","params":{"objects":{"display_status":["message"]}}}\x03{"id":203,"method":"info"}\x03');
  await c.waitFor(() => c.messages.length >= 3);
  // Requests start in order; a query waits for the next status tick, so it may finish last.
  assert.deepEqual(c.messages.map((m) => m.id).sort(), [201, 202, 203]);
  assert.equal(c.messages[0]?.id, 201);
  const status = (c.messages.find((m) => m.id === 202)?.result as { status: { display_status: { message: string } } }).status;
  assert.equal(status.display_status.message, 'héllo ✓');
});

test('faults.sendRaw writes raw bytes to every client', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const other = await RawClient.connect(h.socketPath);
  t.after(() => other.close());
  const seen: Buffer[] = [];
  other.socket.on('data', (d: Buffer) => seen.push(d));
  await other.result('info');
  seen.length = 0;
  h.sim.faults.sendRaw(Buffer.from('{"broken":\x03'));
  await sleep(100);
  const raw = Buffer.concat(seen).toString();
  assert.equal(raw, '{"broken":\x03');
  assert.deepEqual(new EtxDecoder().push(Buffer.from(raw)), ['{"broken":']);
  assert.deepEqual(other.badFrames, ['{"broken":']);
  assert.deepEqual(h.client.badFrames, ['{"broken":'], 'every client got it');
});

test('replyDelayMs delays replies, optionally only for chosen methods', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  h.sim.faults.replyDelayMs = 300;
  let t0 = Date.now();
  await c.result('info');
  assert.ok(Date.now() - t0 >= 280, 'info delayed');
  h.sim.faults.delayedMethods = new Set(['gcode/script']);
  t0 = Date.now();
  await c.result('info');
  assert.ok(Date.now() - t0 < 200, 'info no longer delayed');
  t0 = Date.now();
  await c.result('gcode/script', { script: 'M117 x' });
  assert.ok(Date.now() - t0 >= 280, 'gcode/script delayed');
  h.sim.faults.replyDelayMs = 0;
  t0 = Date.now();
  await c.result('gcode/script', { script: 'M117 y' });
  assert.ok(Date.now() - t0 < 200);
});

test('a client disconnecting mid-request does not disturb the sim', async (t) => {
  const h = await startSim({ timeScale: 20 });
  t.after(() => h.cleanup());
  const other = await RawClient.connect(h.socketPath);
  other.send({ id: 1, method: 'gcode/script', params: { script: 'G4 P2000' } });
  other.close();
  const r = await h.client.result('gcode/script', { script: 'M117 still here' });
  assert.deepEqual(r, {});
});
