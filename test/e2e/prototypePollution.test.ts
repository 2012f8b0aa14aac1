// An attacker with an API key tries to reach Object.prototype through every name a client
// controls: database namespaces and dotted key paths, JSON bodies, JSON-RPC params and query
// arguments, over HTTP and the websocket. One success would open the server to everyone
// (an inherited `x-api-key` header) and turn every folder delete into a forced one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcClient, RpcError } from '../helpers/rpcClient.js';

let s: Stack;
let key: string;
let ws: RpcClient;
const PROTOTYPE_NAMES_BEFORE = Object.getOwnPropertyNames(Object.prototype).sort();

before(async () => {
  s = await startStack({ trustLoopback: false });
  await s.waitReady();
  key = readFileSync(join(s.dir, 'data', '.moonstate_api_key'), 'utf8').trim();
  ws = await s.ws({ 'X-Api-Key': key });
});
after(() => s.close());

const authed = () => ({ 'X-Api-Key': key });

/** Raw text to the server, so bodies can carry an own `__proto__` key (object literals cannot). */
async function send(method: string, path: string, body?: string, headers: Record<string, string> = authed()) {
  const res = await fetch(s.url + path, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as { result?: unknown; error?: { code: number; message: string } } };
}

/** Has anything reached Object.prototype, and does the server still tell friend from foe? */
async function assertUntouched(): Promise<void> {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTOTYPE_NAMES_BEFORE);
  const probe: Record<string, unknown> = {};
  for (const name of ['x-api-key', 'force', 'polluted', 'x', 'token']) assert.equal(probe[name], undefined, `Object.prototype.${name}`);
  assert.equal((await send('GET', '/server/info', undefined, {})).status, 401, 'no credentials are still refused');
  assert.equal((await send('GET', '/server/info')).status, 200, 'the right key still works');
  await assert.rejects(RpcClient.connect(s.wsUrl), /upgrade refused: 401/);
  assert.equal((await ws.call('server.info')).klippy_state, 'ready');
}

const PROTO_KEYS: unknown[] = [
  'a.__proto__.x-api-key',
  '__proto__.x-api-key',
  '__proto__',
  'constructor.prototype.x-api-key',
  'a.constructor.prototype.force',
  'prototype',
  'a.b.prototype',
  ['a', '__proto__', 'polluted'],
  ['constructor', 'prototype', 'polluted'],
];
const PROTO_NAMESPACES = ['__proto__', 'constructor', 'prototype'];

test('database keys and namespaces that name a prototype are 400 over HTTP (body and query) and JSON-RPC', async () => {
  for (const k of PROTO_KEYS) {
    const body = JSON.stringify({ namespace: 'attack', key: k, value: 'x' });
    const r = await send('POST', '/server/database/item', body);
    assert.equal(r.status, 400, `POST body key ${JSON.stringify(k)}`);
    assert.match(r.json.error!.message, /not allowed/);
    for (const method of ['server.database.post_item', 'server.database.get_item', 'server.database.delete_item']) {
      await assert.rejects(
        ws.call(method, { namespace: 'attack', key: k, value: 'x' }),
        (e: unknown) => e instanceof RpcError && e.code === 400,
        `${method} key ${JSON.stringify(k)}`,
      );
    }
    if (typeof k === 'string') {
      const q = `namespace=attack&key=${encodeURIComponent(k)}&value=x`;
      assert.equal((await send('POST', `/server/database/item?${q}`)).status, 400, `POST query key ${k}`);
      assert.equal((await send('GET', `/server/database/item?${q}`)).status, 400, `GET query key ${k}`);
      assert.equal((await send('DELETE', `/server/database/item?${q}`)).status, 400, `DELETE query key ${k}`);
    }
  }
  for (const ns of PROTO_NAMESPACES) {
    assert.equal((await send('POST', '/server/database/item', JSON.stringify({ namespace: ns, key: 'x-api-key', value: 'x' }))).status, 400);
    assert.equal((await send('GET', `/server/database/item?namespace=${ns}`)).status, 400, `GET namespace ${ns}`);
    await assert.rejects(ws.call('server.database.post_item', { namespace: ns, key: 'force', value: true }), (e: unknown) => e instanceof RpcError && e.code === 400);
  }
  await assertUntouched();
});

test('ordinary names that merely contain the words still work', async () => {
  for (const k of ['proto.x', 'constructors', 'my_prototype.a', '__proto.b', 'a.toString', 'hasOwnProperty']) {
    assert.equal((await send('POST', '/server/database/item', JSON.stringify({ namespace: 'constructor_ns', key: k, value: 1 }))).status, 200, k);
    assert.equal(await ws.call('server.database.get_item', { namespace: 'constructor_ns', key: k }).then((r) => r.value), 1, k);
  }
  // A name that is inherited by every object reads as absent, not as Object's member.
  await assert.rejects(ws.call('server.database.get_item', { namespace: 'constructor_ns', key: 'proto.toString' }), (e: unknown) => e instanceof RpcError && e.code === 404);
  await assert.rejects(ws.call('server.database.delete_item', { namespace: 'constructor_ns', key: 'proto.valueOf' }), (e: unknown) => e instanceof RpcError && e.code === 404);
  await assertUntouched();
});

test('JSON bodies and JSON-RPC params with a __proto__ key are refused, at any depth', async () => {
  const bodies = [
    '{"namespace":"attack","key":"k","value":{"__proto__":{"polluted":"yes"}}}',
    '{"namespace":"attack","key":"k","value":[{"a":{"__proto__":{"x-api-key":"k"}}}]}',
    '{"__proto__":{"namespace":"attack","key":"k","value":"x"}}',
  ];
  for (const body of bodies) assert.equal((await send('POST', '/server/database/item', body)).status, 400, body);
  for (const body of bodies) {
    const params = JSON.parse(body) as unknown;
    const reply = (await ws.sendRaw(`{"jsonrpc":"2.0","method":"server.database.post_item","params":${body}}`.replace(/}$/, ',"id":"p"}'))) as {
      error?: { code: number };
    };
    assert.equal(reply.error?.code, 400, `ws ${body} (${typeof params})`);
  }
  // Nothing was stored under any of them.
  await assert.rejects(ws.call('server.database.get_item', { namespace: 'attack' }), (e: unknown) => e instanceof RpcError && e.code === 404);
  await assertUntouched();
});

test('force=true cannot be smuggled into a folder delete through a prototype', async () => {
  const victim = join(s.gcodesPath, 'victim');
  mkdirSync(victim, { recursive: true });
  writeFileSync(join(victim, 'keep.gcode'), 'G28\n');
  const attempts: Array<() => Promise<number>> = [
    () => send('DELETE', '/server/files/directory?path=gcodes/victim&__proto__[force]=true').then((r) => r.status),
    () => send('DELETE', '/server/files/directory?path=gcodes/victim&__proto__=force').then((r) => r.status),
    () => send('DELETE', '/server/files/directory?path=gcodes/victim&constructor[prototype][force]=true').then((r) => r.status),
    () => send('DELETE', '/server/files/directory', '{"path":"gcodes/victim","__proto__":{"force":true}}').then((r) => r.status),
    () =>
      ws
        .sendRaw('{"jsonrpc":"2.0","method":"server.files.delete_directory","params":{"path":"gcodes/victim","__proto__":{"force":true}},"id":"f"}')
        .then((r) => (r as { error?: { code: number } }).error?.code ?? 200),
  ];
  for (const attempt of attempts) {
    assert.equal(await attempt(), 400);
    assert.ok(existsSync(join(victim, 'keep.gcode')), 'the folder and its file are still there');
  }
  await assertUntouched();
});

test('query arguments named after Object.prototype members are plain, unread arguments', async () => {
  for (const q of ['constructor=1', 'toString=x', 'hasOwnProperty=1', '__proto__=1', '__proto__[x-api-key]=k', 'valueOf=&__defineGetter__=1']) {
    const r = await send('GET', `/server/database/list?${q}`);
    assert.equal(r.status, 200, q);
  }
  // Unauthenticated, such arguments change nothing either.
  assert.equal((await send('GET', '/server/info?__proto__[x-api-key]=k&constructor=1', undefined, {})).status, 401);
  await assertUntouched();
});
