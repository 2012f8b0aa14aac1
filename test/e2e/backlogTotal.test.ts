// Issue 12, fault 11: the unread backlog is bounded over all websocket clients together, not only
// per client. Stalled clients (real sockets that stop reading) keep asking for large replies;
// the server's count of unread bytes never passes max_websocket_backlog_total, the stalled
// clients with the most unread are dropped first, and a client that reads keeps working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startStack, type Stack } from '../helpers/testStack.js';

const KiB = 1024;
const PER_CLIENT_KIB = 4096;
const TOTAL_KIB = 8192;
const STALLED = 8;
let s: Stack;

before(async () => {
  s = await startStack({ extraConfig: `max_websocket_backlog: ${PER_CLIENT_KIB}\nmax_websocket_backlog_total: ${TOTAL_KIB}\n` });
  await s.waitReady();
});
after(() => s.close());

test('many stalled clients cannot hold more than max_websocket_backlog_total unread', async () => {
  const conns = s.server.services.connections;
  const healthy = await s.ws();
  await healthy.call('server.database.post_item', { namespace: 'flood', key: 'item', value: 'z'.repeat(1024 * KiB) });
  const before = conns.size;
  const stalled = await Promise.all(
    Array.from({ length: STALLED }, async () => {
      const ws = new WebSocket(s.wsUrl);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.on('error', () => undefined);
      ws.pause(); // reads nothing from now on
      return ws;
    }),
  );
  assert.equal(conns.size, before + STALLED);
  const ask = JSON.stringify({ jsonrpc: '2.0', method: 'server.database.get_item', params: { namespace: 'flood', key: 'item' }, id: 1 });
  let maxSeen = 0;
  const dropped = () => before + STALLED - conns.size;
  // Each stalled client can hold PER_CLIENT_KIB on its own: together 8 x 4 MiB, four times the
  // total bound. Ask until half of them are gone (a deadline only guards against a hang).
  const deadline = Date.now() + 60_000;
  while (dropped() < STALLED / 2 && Date.now() < deadline) {
    for (const ws of stalled) if (ws.readyState === WebSocket.OPEN) ws.send(ask);
    await new Promise((r) => setTimeout(r, 20));
    maxSeen = Math.max(maxSeen, conns.bufferedBytes());
    // The client that reads is served all along, whatever the others hold.
    assert.equal((await healthy.call('printer.info')).state, 'ready');
  }
  assert.ok(dropped() >= STALLED / 2, `only ${dropped()} stalled clients dropped`);
  assert.ok(maxSeen <= TOTAL_KIB * KiB, `${maxSeen} bytes unread at once, over the total bound of ${TOTAL_KIB * KiB}`);
  assert.ok(conns.bufferedBytes() <= TOTAL_KIB * KiB);
  // The healthy client was never the one dropped.
  assert.equal(healthy.ws.readyState, WebSocket.OPEN);
  assert.equal((await healthy.call('server.database.get_item', { namespace: 'flood', key: 'item' })).value.length, 1024 * KiB);
  for (const ws of stalled) ws.terminate();
  await healthy.close();
});
