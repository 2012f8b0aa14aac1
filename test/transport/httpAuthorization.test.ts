// The HTTP side of authorization on its own (transport/httpAuthorization.ts asking the component): an endpoint declared `public` is reachable without credentials
// while its neighbours are not, and URLs are logged with token-like arguments masked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { EndpointRegistry, rpc } from '../../src/transport/endpointRegistry.js';
import { ConnectionRegistry } from '../../src/transport/connections.js';
import { createHttpApp } from '../../src/transport/httpServer.js';
import { httpAuthorization } from '../../src/transport/httpAuthorization.js';
import { Authorization, redactUrl } from '../../src/components/authorization/authorization.js';
import { ApiKeyStore } from '../../src/components/authorization/apiKeyFile.js';
import { OneshotTokens } from '../../src/components/authorization/oneshotTokens.actor.js';
import { CorsPolicy } from '../../src/shared/corsPolicy.js';
import { TrustedClients } from '../../src/shared/trustedClients.js';
import { logSink } from '../../src/logger.js';

logSink.console = false;

test('public endpoints need no credentials; the others still do', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-mw-'));
  const tokens = new OneshotTokens({ clock: new SimulatedClock() });
  const authorization = new Authorization({
    enabled: true,
    trustedClients: TrustedClients.parse([]),
    cors: new CorsPolicy([]),
    apiKeys: ApiKeyStore.openSync(join(dir, 'key')),
    tokens,
  });
  const registry = new EndpointRegistry().add(
    rpc({ method: 'test.open', description: '', public: true, http: { verbs: ['GET'], path: '/test/open/:name' }, params: {}, handler: () => 'open' }),
    rpc({ method: 'test.closed', description: '', http: { verbs: ['GET', 'POST'], path: '/test/closed' }, params: {}, handler: () => 'closed' }),
  );
  const app = createHttpApp({
    registry,
    connections: new ConnectionRegistry(),
    dialect: 'spec',
    maxBodyBytes: 1024,
    before: httpAuthorization(registry, authorization),
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    tokens.dispose();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const open = await fetch(`${base}/test/open/x`);
  assert.equal(open.status, 200);
  assert.deepEqual(await open.json(), { result: 'open' });
  assert.equal((await fetch(`${base}/test/open/x`, { method: 'POST' })).status, 401, 'only its declared verbs are public');
  assert.equal((await fetch(`${base}/test/closed`)).status, 401);
  const keyed = await fetch(`${base}/test/closed`, { method: 'POST', headers: { 'X-Api-Key': authorization.opts.apiKeys.current } });
  assert.equal(keyed.status, 200);
  // OPTIONS only asks what a path allows: answered without credentials where the endpoint is
  // public, refused like any other request where it is not.
  const asked = await fetch(`${base}/test/open/x`, { method: 'OPTIONS' });
  assert.equal(asked.status, 200);
  assert.match(asked.headers.get('allow') ?? '', /\bGET\b/);
  assert.equal((await fetch(`${base}/test/closed`, { method: 'OPTIONS' })).status, 401);
});

test('token-like query arguments are masked in logged URLs', () => {
  assert.equal(redactUrl('/websocket?token=ABC'), '/websocket?token=<redacted>');
  assert.equal(redactUrl('/a?x=1&token=ABC&y=2'), '/a?x=1&token=<redacted>&y=2');
  assert.equal(redactUrl('/a?access_token=J.W.T&api_key=K'), '/a?access_token=<redacted>&api_key=<redacted>');
  assert.equal(redactUrl('/a?TOKEN=abc#frag'), '/a?TOKEN=<redacted>#frag');
  assert.equal(redactUrl('/websocket?token='), '/websocket?token=', 'nothing to hide');
  assert.equal(redactUrl('/a?mytoken=abc'), '/a?mytoken=abc');
});
