// What Klippy's status replies may do to the server's own view, in-process so the cache and the
// connection machine can be looked at: a Klippy (here HostileKlippy in front of the virtual one)
// that names objects nobody subscribed to must not grow the status cache, and a subscribe reply
// whose webhooks says ready must reach the connection machine even when `info` said otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadServerConfig, startServer, type RunningServer } from '../../src/server.js';
import { logSink } from '../../src/logger.js';
import { HostileKlippy, startHostilePeer, type HostilePeer } from '../helpers/hostileKlippy.js';
import { RpcClient } from '../helpers/rpcClient.js';

logSink.console = process.env.MOONSTATE_TEST_LOG === '1';

let klippy: HostileKlippy;
let peer: HostilePeer;
let server: RunningServer;
let ws: RpcClient;

/** Polls the connection machine's state until it is one of `states` (no deadline: the runner's). */
async function settleIn(states: string[]): Promise<string> {
  for (;;) {
    const st = server.kernel.klippy.state;
    if (states.includes(st)) return st;
    await sleep(10);
  }
}

before(async () => {
  peer = await startHostilePeer('moonstate-statusedges-', 20);
  ({ klippy } = peer);
  const { proxyPath } = peer;
  const text = `[server]\nhost: 127.0.0.1\nport: 0\nklippy_uds_address: ${proxyPath}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n`;
  const { config } = loadServerConfig({ text, dataPath: peer.dataPath });
  server = await startServer({ config, logToFile: false });
  await settleIn(['ready']);
  ws = await RpcClient.connect(`${server.url.replace('http', 'ws')}/websocket`);
  await ws.call('printer.objects.subscribe', { objects: { toolhead: null, webhooks: null } });
});

after(async () => {
  await ws.close();
  await server.close();
  await peer.close();
});

test('objects nobody subscribed to, named by Klippy, are not cached', async () => {
  const invented: Record<string, object> = {};
  for (let i = 0; i < 2000; i++) invented[`invented_${i}`] = { x: 'y'.repeat(100) };
  for (let round = 0; round < 5; round++) klippy.send({ method: 'process_status_update', params: { eventtime: 1, status: invented } });
  // A marker after them: once a client hears it, the server has handled what came before.
  const since = ws.notifications.length;
  klippy.send({ method: 'process_status_update', params: { eventtime: 2, status: { toolhead: { estimated_print_time: 424242 } } } });
  await ws.waitFor('notify_status_update', (p) => (p?.[0] as { toolhead?: { estimated_print_time?: number } }).toolhead?.estimated_print_time === 424242, 10_000, since);
  const subs = server.kernel.subscriptions;
  assert.equal(subs.current('toolhead')?.estimated_print_time, 424242);
  assert.equal(subs.current('invented_0'), undefined);
  assert.equal(subs.current('invented_1999'), undefined);
  // A client asking for one of them gets Klippy's own answer (forwarded), not the invented value.
  const q = await ws.call('printer.objects.query', { objects: { invented_5: null } });
  assert.notEqual(q.status.invented_5?.x, 'y'.repeat(100));
});

test('info says shutdown but the subscribe reply says ready: the server reports ready', async () => {
  klippy.rewrites.set('info', (reply) => ({
    ...reply,
    result: { ...(reply.result as object), state: 'shutdown', state_message: 'info said shutdown' },
  }));
  try {
    const infosBefore = klippy.requestCounts.get('info') ?? 0;
    klippy.dropConnections();
    await settleIn(['disconnected', 'startup']);
    // The reconnection asked info (and was told shutdown), then subscribed (and saw ready).
    while ((klippy.requestCounts.get('objects/subscribe') ?? 0) === 0 || (klippy.requestCounts.get('info') ?? 0) === infosBefore) await sleep(10);
    const state = await settleIn(['ready', 'shutdown', 'error']);
    assert.equal(state, 'ready');
    // What clients read from held state agrees (printer.info would ask the lying `info` again).
    const info = await ws.call('server.info');
    assert.equal(info.klippy_state, 'ready');
  } finally {
    klippy.rewrites.delete('info');
  }
});
