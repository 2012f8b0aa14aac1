// Faults short of a kill: a Klippy that stops answering one kind of request, and a websocket
// client that stops reading.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';

let s: Stack;
let ws: RpcClient;
const TIMEOUT_MS = 300;
const BACKLOG_KIB = 64;

before(async () => {
  s = await startStack({ klippyRequestTimeoutMs: TIMEOUT_MS, extraConfig: `max_websocket_backlog: ${BACKLOG_KIB}\n` });
  await s.waitReady();
  ws = await s.ws();
});
after(() => s.close());

test('a Klippy that stops answering one request fails only that request', async () => {
  const since = ws.notifications.length;
  s.sim.faults.delayedMethods = new Set(['objects/list']);
  s.sim.faults.replyDelayMs = TIMEOUT_MS * 4;
  try {
    const late = ws.call('printer.objects.list');
    // Meanwhile everything else is answered.
    assert.equal(await ws.call('printer.gcode.script', { script: 'M115' }), 'ok');
    assert.equal((await s.http('GET', '/printer/info')).body.result.state, 'ready');
    await assert.rejects(late, (e: unknown) => e instanceof RpcError && e.code === 500 && /timed out/.test(e.message));
  } finally {
    s.sim.faults.replyDelayMs = 0;
    s.sim.faults.delayedMethods = undefined;
  }
  // The late reply, when it comes, is dropped; the connection was never given up.
  await new Promise((r) => setTimeout(r, TIMEOUT_MS * 4));
  assert.equal(s.server.kernel.klippy.state, 'ready');
  assert.ok(!ws.notifications.slice(since).some((n) => n.method === 'notify_klippy_disconnected'));
  assert.ok(Array.isArray((await ws.call('printer.objects.list')).objects));
});

test('a websocket client that stops reading is dropped once its backlog passes the limit', async () => {
  const conns = s.server.kernel.connections;
  const before = conns.size;
  const lazy = new WebSocket(s.wsUrl);
  await new Promise((resolve, reject) => lazy.once('open', resolve).once('error', reject));
  assert.equal(conns.size, before + 1);
  const closed = new Promise<void>((resolve) => lazy.once('close', () => resolve()));
  // Stop reading, then keep asking for large replies until the kernel's socket buffers (several
  // MiB on loopback) and then our backlog limit are full.
  lazy.pause();
  const ask = JSON.stringify({ jsonrpc: '2.0', method: 'printer.objects.query', params: { objects: { configfile: null } }, id: 1 });
  const deadline = Date.now() + 30_000;
  while (conns.size > before && Date.now() < deadline) {
    for (let i = 0; i < 100; i++) lazy.send(ask);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(conns.size, before, 'the server still holds the client that stopped reading');
  lazy.resume();
  await closed;
  // Others are unaffected.
  assert.equal((await ws.call('printer.info')).state, 'ready');
});
