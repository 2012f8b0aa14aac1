// Authorization end to end, against real sockets. The matrix takes every HTTP route in the
// registry (so endpoints added later are covered without touching this file) and asks it with
// each kind of credential; then the websocket upgrade with each kind; then key replacement,
// tokens bound to an address, CORS, and the embedded mode's loopback rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { SimulatedClock } from 'xstate';
import { startStack, type Stack } from '../helpers/testStack.js';
import { loadServerConfig, startServer } from '../../src/server.js';
import { ONESHOT_TOKEN_TTL_MS } from '../../src/machines/oneshotToken.machine.js';
import { upgradeStatus } from '../helpers/upgradeStatus.js';

const CREDENTIALS = ['none', 'empty token', 'wrong key', 'right key', 'fresh token', 'used token', 'expired token', 'trusted address'] as const;
type Credential = (typeof CREDENTIALS)[number];
const ALLOWED: ReadonlySet<Credential> = new Set(['right key', 'fresh token', 'trusted address']);

const clock = new SimulatedClock();
let locked: Stack; // no trusted clients: every request needs credentials
let trusting: Stack; // trusted_clients 127.0.0.0/8, ::1 (the stack's default)

before(async () => {
  [locked, trusting] = await Promise.all([
    startStack({ trustLoopback: false, klippyDown: true, tokenClock: clock }),
    startStack({ klippyDown: true }),
  ]);
});
after(async () => {
  await Promise.all([locked?.close(), trusting?.close()]);
});

const keyOf = (s: Stack) => readFileSync(join(s.dir, 'data', '.moonstate_api_key'), 'utf8').trim();
const WRONG_KEY = 'f'.repeat(32);

/** A concrete path for an express path pattern: `/server/files/:root/*path` → `/server/files/gcodes/sample/file.gcode`. */
function samplePath(pattern: string): string {
  return pattern
    .replace(/[{}]/g, '')
    .replace(/\*\w+/g, 'sample/dir/file.gcode')
    .replace(/:(\w+)/g, (_m, name: string) => (name === 'root' ? 'gcodes' : 'sample'));
}

async function freshToken(s: Stack): Promise<string> {
  const r = await s.http('GET', '/access/oneshot_token', undefined, { 'X-Api-Key': keyOf(s) });
  assert.equal(r.status, 200);
  assert.match(r.body.result, /^[A-Z2-7]{32}$/);
  return r.body.result as string;
}

/** The stack, extra headers and query string that present one kind of credential. */
async function present(cred: Credential): Promise<{ stack: Stack; headers: Record<string, string>; query: string }> {
  switch (cred) {
    case 'none':
      return { stack: locked, headers: {}, query: '' };
    case 'empty token':
      return { stack: locked, headers: {}, query: 'token=' };
    case 'wrong key':
      return { stack: locked, headers: { 'X-Api-Key': WRONG_KEY }, query: '' };
    case 'right key':
      return { stack: locked, headers: { 'X-Api-Key': keyOf(locked) }, query: '' };
    case 'fresh token':
      return { stack: locked, headers: {}, query: `token=${await freshToken(locked)}` };
    case 'used token': {
      const token = await freshToken(locked);
      const first = await locked.http('GET', `/access/api_key?token=${token}`);
      assert.equal(first.status, 200, 'the token works once');
      return { stack: locked, headers: {}, query: `token=${token}` };
    }
    case 'expired token': {
      const token = await freshToken(locked);
      clock.increment(ONESHOT_TOKEN_TTL_MS);
      return { stack: locked, headers: {}, query: `token=${token}` };
    }
    case 'trusted address':
      return { stack: trusting, headers: {}, query: '' };
  }
}

const withQuery = (path: string, query: string) => (query === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${query}`);

test('every HTTP route × every kind of credential: allowed or exactly 401', async () => {
  const routes = locked.server.registry
    .all()
    .flatMap((e) => (e.http ? e.http.verbs.map((verb) => ({ method: e.method, verb, path: samplePath(e.http!.path), public: e.public === true })) : []));
  // The access namespace and the printer namespace at least; more as endpoints are added.
  for (const m of ['access.get_api_key', 'access.post_api_key', 'access.oneshot_token', 'printer.info', 'printer.gcode.script']) {
    assert.ok(routes.some((r) => r.method === m), `${m} is registered`);
  }
  const wrong: string[] = [];
  let asked = 0;
  for (const route of routes) {
    for (const cred of CREDENTIALS) {
      const { stack, headers, query } = await present(cred);
      const r = await stack.http(route.verb, withQuery(route.path, query), undefined, headers);
      asked++;
      const refused = r.status === 401;
      // A public endpoint (access.info: may I log in?) lets everyone in; the rest only the allowed.
      if ((route.public || ALLOWED.has(cred)) === refused) {
        wrong.push(`${route.verb} ${route.path} with ${cred}: ${r.status} ${JSON.stringify(r.body)}`);
      }
      if (refused) assert.deepEqual(r.body, { error: { code: 401, message: 'Unauthorized' } });
    }
  }
  assert.equal(asked, routes.length * CREDENTIALS.length);
  assert.deepEqual(wrong, [], `${wrong.length} wrong answers of ${asked}`);
  console.log(`authorization matrix: ${routes.length} routes × ${CREDENTIALS.length} credentials = ${asked} requests, 0 wrong`);
});

test('the websocket upgrade with every kind of credential', async () => {
  const results: Record<string, number> = {};
  for (const cred of CREDENTIALS) {
    const { stack, headers, query } = await present(cred);
    results[cred] = await upgradeStatus(withQuery(stack.wsUrl, query), headers);
  }
  assert.deepEqual(results, {
    none: 401,
    'empty token': 401,
    'wrong key': 401,
    'right key': 101,
    'fresh token': 101,
    'used token': 401,
    'expired token': 401,
    'trusted address': 101,
  });
  // KlipperScreen's `?token=` (empty) from a trusted address is simply no token.
  assert.equal(await upgradeStatus(`${trusting.wsUrl}?token=`), 101);
});

test('a websocket opened with a token works; the token is spent by the upgrade', async () => {
  const token = await freshToken(locked);
  const ws = new WebSocket(`${locked.wsUrl}?token=${token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const reply = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
  ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'printer.info', id: 1 }));
  const msg = JSON.parse(await reply);
  assert.equal(msg.id, 1);
  assert.notEqual(msg.error?.code, 401);
  ws.close();
  assert.equal(await upgradeStatus(`${locked.wsUrl}?token=${token}`), 401);
});

test('the websocket refuses pages from foreign origins (403), even with the right key', async () => {
  const key = { 'X-Api-Key': keyOf(locked) };
  const own = new URL(locked.url).host;
  assert.equal(await upgradeStatus(locked.wsUrl, { ...key, Origin: 'http://evil.example' }), 403);
  assert.equal(await upgradeStatus(locked.wsUrl, { ...key, Origin: `http://${own}` }), 101);
  assert.equal(await upgradeStatus(trusting.wsUrl, { Origin: 'http://evil.example' }), 403);
});

test('the access endpoints answer over the websocket too, as today\'s Moonraker serves them', async () => {
  const c = await trusting.ws();
  assert.match(await c.call('access.oneshot_token'), /^[A-Z2-7]{32}$/);
  assert.equal(await c.call('access.get_api_key'), keyOf(trusting));
  const user = await c.call('access.get_user');
  assert.equal(user.username, '_TRUSTED_USER_');
  assert.equal(user.source, 'moonraker');
  assert.equal(typeof user.created_on, 'number');
  assert.deepEqual(await c.call('access.info'), { default_source: 'moonraker', available_sources: ['moonraker'], login_required: false, trusted: true });
  assert.deepEqual(await c.call('access.users.list'), { users: [] });
  assert.ok((await c.call('server.info')).components.includes('authorization'));
});

test('an untrusted client is the API-key user; access.info needs no credentials and says "not trusted"', async () => {
  const key = { 'X-Api-Key': keyOf(locked) };
  const info = await locked.http('GET', '/access/info');
  assert.equal(info.status, 200);
  assert.equal(info.body.result.trusted, false);
  const user = await locked.http('GET', '/access/user', undefined, key);
  assert.equal(user.body.result.username, '_API_KEY_USER_');
  assert.equal((await locked.http('GET', '/access/user')).status, 401);
  // Over a websocket opened with the key, a oneshot token for the next upload works once.
  const c = await locked.ws(key);
  const token: string = await c.call('access.oneshot_token');
  assert.equal((await locked.http('GET', `/server/info?token=${token}`)).status, 200);
  assert.equal((await locked.http('GET', `/server/info?token=${token}`)).status, 401);
  assert.equal((await c.call('access.get_user')).username, '_API_KEY_USER_');
});

test('a new API key is in force at once; the old one is refused', async () => {
  const old = keyOf(locked);
  const got = await locked.http('GET', '/access/api_key', undefined, { 'X-Api-Key': old });
  assert.deepEqual(got.body, { result: old });
  const r = await locked.http('POST', '/access/api_key', undefined, { 'X-Api-Key': old });
  assert.equal(r.status, 200);
  const fresh = r.body.result as string;
  assert.match(fresh, /^[0-9a-f]{32}$/);
  assert.notEqual(fresh, old);
  assert.equal(keyOf(locked), fresh, 'the file holds the new key');
  assert.equal((await locked.http('GET', '/printer/info', undefined, { 'X-Api-Key': old })).status, 401);
  assert.equal((await locked.http('GET', '/access/api_key', undefined, { 'X-Api-Key': fresh })).status, 200);
  assert.equal(await upgradeStatus(locked.wsUrl, { 'X-Api-Key': old }), 401);
});

/** A GET from a chosen local address (127.0.0.2 is as local as 127.0.0.1 on Linux). */
function getFrom(localAddress: string, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('a oneshot token works only from the address that asked for it', async () => {
  const token = await freshToken(locked); // asked from 127.0.0.1
  assert.equal(await getFrom('127.0.0.2', `${locked.url}/access/api_key?token=${token}`), 401);
  assert.equal(await getFrom('127.0.0.1', `${locked.url}/access/api_key?token=${token}`), 200);
});

test('unknown paths need credentials too (no probing without a key)', async () => {
  assert.equal((await locked.http('GET', '/no/such/thing')).status, 401);
  assert.equal((await locked.http('GET', '/no/such/thing', undefined, { 'X-Api-Key': keyOf(locked) })).status, 404);
});

test('CORS: preflights and responses for allowed origins only', async (t) => {
  const s = await startStack({
    trustLoopback: false,
    klippyDown: true,
    authorizationConfig: 'cors_domains:\n  *.local\n  http://my.printer.lan:*\n',
  });
  t.after(() => s.close());
  const preflight = (origin: string) =>
    s.http('OPTIONS', '/printer/info', undefined, {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'x-api-key, content-type',
    });
  const ok = await preflight('http://ui.local');
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'http://ui.local');
  assert.match(ok.headers.get('vary') ?? '', /Origin/);
  for (const m of ['GET', 'POST', 'DELETE', 'OPTIONS']) assert.match(ok.headers.get('access-control-allow-methods') ?? '', new RegExp(`\\b${m}\\b`));
  for (const h of ['X-Api-Key', 'Content-Type', 'Authorization']) assert.match(ok.headers.get('access-control-allow-headers') ?? '', new RegExp(h));
  assert.equal(ok.headers.get('access-control-max-age'), '86400');
  assert.equal((await preflight('http://my.printer.lan:8080')).headers.get('access-control-allow-origin'), 'http://my.printer.lan:8080');

  const bad = await preflight('http://evil.example');
  assert.equal(bad.headers.get('access-control-allow-origin'), null);
  assert.equal(bad.headers.get('access-control-allow-methods'), null);
  assert.equal(bad.status, 401);

  // A 401 carries the header, so the page can tell "log in" from "network error".
  const noKey = await s.http('GET', '/printer/info', undefined, { Origin: 'http://ui.local' });
  assert.equal(noKey.status, 401);
  assert.equal(noKey.headers.get('access-control-allow-origin'), 'http://ui.local');
  const withKey = await s.http('GET', '/access/api_key', undefined, { Origin: 'http://ui.local', 'X-Api-Key': keyOf(s) });
  assert.equal(withKey.status, 200);
  assert.equal(withKey.headers.get('access-control-allow-origin'), 'http://ui.local');
  const foreign = await s.http('GET', '/access/api_key', undefined, { Origin: 'http://evil.example', 'X-Api-Key': keyOf(s) });
  assert.equal(foreign.status, 200);
  assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  // No CORS configured: no headers at all.
  const none = await locked.http('GET', '/printer/info', undefined, { Origin: 'http://ui.local', 'X-Api-Key': keyOf(locked) });
  assert.equal(none.headers.get('access-control-allow-origin'), null);

  // The websocket follows the same rules.
  const key = { 'X-Api-Key': keyOf(s) };
  assert.equal(await upgradeStatus(s.wsUrl, { ...key, Origin: 'http://ui.local' }), 101);
  assert.equal(await upgradeStatus(s.wsUrl, { ...key, Origin: 'http://ui.lan' }), 403);
});

test('[server] enable_cors allows every origin', async (t) => {
  const s = await startStack({ klippyDown: true, extraConfig: 'enable_cors: true\n' });
  t.after(() => s.close());
  const r = await s.http('OPTIONS', '/server/anything', undefined, { Origin: 'http://anywhere.example:3000', 'Access-Control-Request-Method': 'GET' });
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('access-control-allow-origin'), 'http://anywhere.example:3000');
  assert.equal(await upgradeStatus(s.wsUrl, { Origin: 'http://anywhere.example:3000' }), 101);
});

test('authorization disabled: everything is open', async (t) => {
  const s = await startStack({ trustLoopback: false, klippyDown: true, authorizationConfig: 'enabled: false\n' });
  t.after(() => s.close());
  assert.equal((await s.http('GET', '/access/api_key')).status, 200);
  assert.equal(await upgradeStatus(s.wsUrl), 101);
});

test('the embedded virtual printer trusts loopback when trusted_clients is not set', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-embedded-'));
  const { config } = loadServerConfig({ text: '[server]\nhost: 127.0.0.1\nport: 0\n[virtual_klippy]\nstartup_delay: 0\n', dataPath: dir });
  const server = await startServer({ config, logToFile: false });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.ok(server.virtualKlippy, 'runs the virtual printer');
  const r = await fetch(`${server.url}/access/api_key`);
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as { result: string }).result, readFileSync(join(dir, '.moonstate_api_key'), 'utf8').trim());
  assert.equal(await upgradeStatus(`${server.url.replace('http', 'ws')}/websocket?token=`), 101);
});

test('the embedded virtual printer with trusted_clients set trusts only those', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-embedded-'));
  const text = '[server]\nhost: 127.0.0.1\nport: 0\n[authorization]\ntrusted_clients: 10.0.0.0/8\n';
  const { config } = loadServerConfig({ text, dataPath: dir });
  const server = await startServer({ config, logToFile: false });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal((await fetch(`${server.url}/access/api_key`)).status, 401);
});

test('on a dual-stack socket, IPv4 peers (seen as ::ffff:a.b.c.d) match IPv4 networks; ::1 is its own', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-dual-'));
  const text = `[server]\nhost: ::\nport: 0\nklippy_uds_address: ${join(dir, 'none.sock')}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n`;
  const { config } = loadServerConfig({ text, dataPath: dir });
  let server;
  try {
    server = await startServer({ config, logToFile: false });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`no IPv6 here: ${(err as Error).message}`);
    return;
  }
  const running = server;
  t.after(async () => {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal((await fetch(`http://127.0.0.1:${server.port}/access/api_key`)).status, 200);
  assert.equal((await fetch(`http://[::1]:${server.port}/access/api_key`)).status, 401);
  assert.equal(await upgradeStatus(`ws://127.0.0.1:${server.port}/websocket`), 101);
  assert.equal(await upgradeStatus(`ws://[::1]:${server.port}/websocket`), 401);
});
