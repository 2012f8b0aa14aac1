// Websocket paths other than /websocket (the inspector's /debug/inspect) pass through the same
// authorizeUpgrade check as the API's websocket: what the authorization work plugs in there
// covers them without knowing they exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { attachWebsocket } from '../../src/transport/websocketServer.js';
import { EndpointRegistry } from '../../src/transport/endpointRegistry.js';
import { ConnectionRegistry } from '../../src/transport/connections.js';
import { unauthorized } from '../../src/shared/errors.js';

/** Opens a websocket; resolves with the HTTP status and, once open, the first message. */
function open(url: string, headers: Record<string, string> = {}): Promise<{ status: number; ws?: WebSocket; first?: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    // The first frame can arrive with the 101 itself: listen before 'open'.
    const first = new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
    ws.once('open', () => resolve({ status: 101, ws, first }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', reject);
  });
}

test('an upgrade route is refused by authorizeUpgrade like /websocket, and served when allowed', async (t) => {
  const server = createServer();
  const extra = new WebSocketServer({ noServer: true });
  const authorized: string[] = [];
  const wss = attachWebsocket(server, {
    registry: new EndpointRegistry(),
    connections: new ConnectionRegistry(),
    maxMessageBytes: 1 << 20,
    maxBacklogBytes: 1 << 20,
    authorizeUpgrade: (req) => {
      authorized.push(req.url ?? '');
      if (req.headers['x-api-key'] !== 'good') throw unauthorized('Unauthorized');
    },
    upgradeRoutes: new Map([
      ['/debug/inspect', (req, socket, head) => extra.handleUpgrade(req, socket, head, (ws) => ws.send('hello from the route'))],
    ]),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    wss.close();
    extra.close();
    server.close();
    server.closeAllConnections();
  });
  const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

  assert.equal((await open(`${base}/debug/inspect`)).status, 401);
  assert.equal((await open(`${base}/websocket`)).status, 401);
  assert.equal((await open(`${base}/debug/elsewhere`, { 'x-api-key': 'good' })).status, 404, 'unknown paths stay 404');
  assert.deepEqual(authorized, ['/debug/inspect', '/websocket'], 'a 404 path is not even authorized');

  const ok = await open(`${base}/debug/inspect?x=1`, { 'x-api-key': 'good' });
  assert.equal(ok.status, 101);
  assert.equal(await ok.first, 'hello from the route');
  ok.ws!.close();
});
