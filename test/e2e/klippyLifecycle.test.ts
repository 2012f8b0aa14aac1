// Klippy going away and coming back, shutting down and restarting: what clients are told, and
// what happens to requests in flight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';

let s: Stack;
let ws: RpcClient;

before(async () => {
  s = await startStack({ timeScale: 1 });
  await s.waitReady();
  ws = await s.ws();
});
after(() => s.close());

test('Klippy killed mid-request: the request fails with 503, clients see disconnected, then ready again', async () => {
  const since = ws.notifications.length;
  // A dwell keeps the request in flight while Klippy goes away.
  const pending = ws.call('printer.gcode.script', { script: 'G4 P10000' });
  await new Promise((r) => setTimeout(r, 100));
  await s.sim.stop();
  await assert.rejects(pending, (e: unknown) => e instanceof RpcError && e.code === 503 && e.message === 'Klippy Disconnected');
  await ws.waitFor('notify_klippy_disconnected', undefined, 5000, since);
  await assert.rejects(ws.call('printer.info'), (e: unknown) => e instanceof RpcError && e.code === 503);
  await s.sim.start();
  await ws.waitFor('notify_klippy_ready', undefined, 10_000, since);
  assert.equal((await ws.call('printer.info')).state, 'ready');
});

test('emergency stop: shutdown is announced and reported; FIRMWARE_RESTART brings it back', async () => {
  const since = ws.notifications.length;
  assert.equal(await ws.call('printer.emergency_stop'), 'ok');
  await ws.waitFor('notify_klippy_shutdown', undefined, 5000, since);
  const info = await ws.call('printer.info');
  assert.equal(info.state, 'shutdown');
  assert.match(info.state_message, /Shutdown/i);
  assert.equal(await ws.call('printer.firmware_restart'), 'ok');
  await ws.waitFor('notify_klippy_disconnected', undefined, 5000, since);
  await ws.waitFor('notify_klippy_ready', undefined, 10_000, since);
  assert.equal((await ws.call('printer.info')).state, 'ready');
});

test('printer.restart over HTTP answers ok and Klippy comes back through startup to ready', async () => {
  const since = ws.notifications.length;
  const r = await s.http('POST', '/printer/restart');
  assert.deepEqual(r.body, { result: 'ok' });
  await ws.waitFor('notify_klippy_disconnected', undefined, 5000, since);
  await ws.waitFor('notify_klippy_ready', undefined, 10_000, since);
});

test('status updates resume after a reconnect without the client subscribing again', async () => {
  await ws.call('printer.objects.subscribe', { objects: { gcode_move: ['gcode_position'] } });
  await s.sim.stop();
  await s.waitState('disconnected');
  await s.sim.start();
  await s.waitReady();
  const since = ws.notifications.length;
  await ws.call('printer.gcode.script', { script: 'G28\nG1 X20 Y20 F6000' });
  const n = await ws.waitFor('notify_status_update', (p) => {
    const pos = (p?.[0] as { gcode_move?: { gcode_position?: number[] } })?.gcode_move?.gcode_position;
    return pos?.[0] === 20;
  }, 10_000, since);
  assert.equal(typeof n.params?.[1], 'number', 'eventtime is sent as the second parameter');
});

test('Klippy sending garbage does not hurt the server', async () => {
  s.sim.faults.sendRaw(Buffer.from('definitely not json\x03{"method": 5}\x03[]\x03'));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await ws.call('printer.info')).state, 'ready');
});
