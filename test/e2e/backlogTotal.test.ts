// Issue 12, fault 11: the unread backlog is bounded over all clients together, not only per
// websocket; HTTP replies queued for clients that do not read count too. Stalled clients (real sockets that stop reading) keep asking for large replies;
// the server's count of unread bytes never passes max_websocket_backlog_total, the stalled
// clients with the most unread are dropped first, and a client that reads keeps working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
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
  const conns = s.server.kernel.connections;
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

test('stalled HTTP clients count toward the same bound', async () => {
  const conns = s.server.kernel.connections;
  const healthy = await s.ws();
  // Six 1 MiB items: reading the namespace whole is a 6 MiB reply (under max_reply_size).
  for (let i = 0; i < 6; i++) await healthy.call('server.database.post_item', { namespace: 'wide', key: `k${i}`, value: 'w'.repeat(1024 * KiB) });
  const port = Number(new URL(s.url).port);
  const socks: Socket[] = [];
  const droppedBefore = conns.unsent.dropped;
  const dropped = () => conns.unsent.dropped - droppedBefore;
  for (let i = 0; i < STALLED; i++) {
    const sock = connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    sock.on('error', () => undefined);
    sock.pause(); // reads nothing
    // Pipelined: Node answers them one after the other, each waiting in its memory.
    for (let j = 0; j < 3; j++) sock.write(`GET /server/database/item?namespace=wide HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    socks.push(sock);
  }
  // Without the bound these eight hold about 6 MiB each; wait until they are answered (or cut).
  let maxSeen = 0;
  const deadline = Date.now() + 30_000;
  while (dropped() < STALLED / 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    maxSeen = Math.max(maxSeen, conns.bufferedBytes());
  }
  maxSeen = Math.max(maxSeen, conns.bufferedBytes());
  assert.ok(maxSeen <= TOTAL_KIB * KiB, `${maxSeen} bytes unread at once, over the total bound of ${TOTAL_KIB * KiB}`);
  assert.ok(dropped() >= STALLED / 2, `only ${dropped()} stalled HTTP clients dropped`);
  assert.equal((await s.http('GET', '/server/database/item?namespace=wide&key=k0')).status, 200);
  assert.equal((await healthy.call('printer.info')).state, 'ready');
  for (const sock of socks) sock.destroy();
  await healthy.close();
});
