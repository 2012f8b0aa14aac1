// A seeded fuzz run over the database's key space: generated namespaces and keys (prototype
// names, dots, unicode in every plane, control characters, names over the key limit) and values
// (deep, huge, with `__proto__` keys), posted, read and deleted over the websocket and HTTP.
// Every answer is checked against a model of what the store must hold, so a key that lands in
// the wrong record, a namespace that loses items, or a status that is not the expected 400, 403
// or 404 is a failure; and Object.prototype must be untouched at the end.
// MOONSTATE_DB_FUZZ_COUNT (default 1,000) and MOONSTATE_DB_FUZZ_SEED choose the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/testStack.js';
import type { RpcClient } from '../helpers/rpcClient.js';
import { Rng, dbKey, dbName, dbValue, toJsonText } from '../helpers/fuzzInput.js';
import { SERVER_NAMESPACES } from '../../src/components/database/databaseEndpoints.js';
import { MAX_CLIENT_JSON_DEPTH } from '../../src/transport/clientJson.js';

const COUNT = Number(process.env.MOONSTATE_DB_FUZZ_COUNT ?? 1000);
const SEED = Number(process.env.MOONSTATE_DB_FUZZ_SEED ?? 20261201);
const PROTO_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_NAME_BYTES = 512;
const PROTOTYPE_BEFORE = Object.getOwnPropertyNames(Object.prototype).sort();

let s: Stack;
let ws: RpcClient;
before(async () => {
  s = await startStack({ klippyDown: true });
  ws = await s.ws();
});
after(() => s.close());

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (r: Rec, k: string) => (Object.hasOwn(r, k) ? r[k] : undefined);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** What the store must hold: namespace → top-level key → value (null-prototype maps). */
const model = new Map<string, Map<string, unknown>>();

/** The answer a request must get: a value, or an error class. */
type Outcome = { ok: unknown } | { status: 400 | 403 | 404 };
const err = (status: 400 | 403 | 404): Outcome => ({ status });

const badName = (n: string) => PROTO_NAMES.has(n) || Buffer.byteLength(n) > MAX_NAME_BYTES;

/** Parts of a key as the API reads it; 'type' for something that is no key at all. */
function partsOf(key: unknown): string[] | 'type' | 'bad' | 'none' {
  if (key === undefined || key === null) return 'none';
  if (typeof key === 'string') {
    const parts = key.split('.');
    return parts.some((p) => p === '' || badName(p)) ? 'bad' : parts;
  }
  if (Array.isArray(key) && key.every((p) => typeof p === 'string')) {
    return key.length === 0 || key.some((p: string) => p === '' || badName(p)) ? 'bad' : key;
  }
  return 'type';
}

/** Deeper than the limit, or an own `__proto__` key anywhere: refused before any handler runs. */
function refusedJson(v: unknown, depth = 1): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (depth > MAX_CLIENT_JSON_DEPTH) return true;
  if (!Array.isArray(v) && Object.hasOwn(v, '__proto__')) return true;
  return Object.values(v).some((x) => refusedJson(x, depth + 1));
}

function modelGet(ns: string, key: unknown): Outcome {
  const parts = partsOf(key);
  if (parts === 'type' || badName(ns)) return err(400);
  const space = model.get(ns);
  if (parts === 'none') return space && space.size > 0 ? { ok: Object.fromEntries(space) } : err(404);
  if (parts === 'bad') return err(400);
  let value: unknown = space?.get(parts[0]!);
  for (const p of parts.slice(1)) value = isRecord(value) ? own(value, p) : undefined;
  return value === undefined ? err(404) : { ok: value };
}

function modelPost(ns: string, key: unknown, value: unknown): Outcome {
  const parts = partsOf(key);
  // A missing key is refused with the parameters, before the handler asks whose namespace it is.
  if (parts === 'type' || key === undefined) return err(400);
  if (SERVER_NAMESPACES.has(ns)) return err(403);
  if (value === undefined || badName(ns) || parts === 'none' || parts === 'bad') return err(400);
  const space = model.get(ns) ?? new Map<string, unknown>();
  model.set(ns, space);
  const top = parts[0]!;
  if (parts.length === 1) space.set(top, clone(value));
  else {
    const current = space.get(top);
    const record: Rec = isRecord(current) ? clone(current) : {};
    let cursor = record;
    for (const p of parts.slice(1, -1)) {
      if (!isRecord(own(cursor, p))) cursor[p] = {};
      cursor = cursor[p] as Rec;
    }
    cursor[parts.at(-1)!] = clone(value);
    space.set(top, record);
  }
  return { ok: value };
}

function modelDelete(ns: string, key: unknown): Outcome {
  const parts = partsOf(key);
  if (parts === 'type' || key === undefined) return err(400);
  if (SERVER_NAMESPACES.has(ns)) return err(403);
  if (badName(ns) || parts === 'none' || parts === 'bad') return err(400);
  const space = model.get(ns);
  const top = parts[0]!;
  const current = space?.get(top);
  if (parts.length === 1) {
    if (current === undefined) return err(404);
    space!.delete(top);
    return { ok: current };
  }
  const record = isRecord(current) ? clone(current) : undefined;
  let cursor: Rec | undefined = record;
  for (const p of parts.slice(1, -1)) {
    const next = cursor ? own(cursor, p) : undefined;
    cursor = isRecord(next) ? next : undefined;
  }
  const last = parts.at(-1)!;
  if (!cursor || !Object.hasOwn(cursor, last)) return err(404);
  const removed = cursor[last];
  delete cursor[last];
  space!.set(top, record);
  return { ok: removed };
}

const failures: string[] = [];
const fail = (what: string) => {
  if (failures.length < 30) failures.push(what.length > 500 ? what.slice(0, 500) + '…' : what);
};

/** Compares an answer (HTTP status or JSON-RPC error code, or a value) with the model's. */
function check(context: string, expected: Outcome, got: { value: unknown } | { code: number; message: string }): void {
  if ('ok' in expected) {
    if (!('value' in got)) return fail(`${context}: expected a value, got ${JSON.stringify(got)}`);
    try {
      assert.deepStrictEqual(got.value, expected.ok);
    } catch {
      fail(`${context}: value ${JSON.stringify(got.value)?.slice(0, 200)} != model ${JSON.stringify(expected.ok)?.slice(0, 200)}`);
    }
    return;
  }
  if (!('code' in got)) return fail(`${context}: expected ${expected.status}, got value ${JSON.stringify(got.value)?.slice(0, 200)}`);
  const codes = expected.status === 400 ? [400, -32602] : [expected.status];
  if (!codes.includes(got.code)) fail(`${context}: expected ${expected.status}, got ${got.code} ${got.message}`);
}

/** Swaps one object key in the JSON text for `__proto__`, which no object literal can carry. */
const withProtoKey = (text: string) => text.replace(/"(a|toolhead|path|root)":/, '"__proto__":');

/** Sends raw text and resolves with the reply that carries `id` (listening on the socket itself). */
function rawCall(text: string, id: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${id}`)), 20_000);
    const onMessage = (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { id?: unknown };
      if (msg.id !== id) return;
      clearTimeout(timer);
      ws.ws.off('message', onMessage);
      resolve(msg);
    };
    ws.ws.on('message', onMessage);
    ws.ws.send(text);
  });
}

async function viaWebsocket(method: string, params: Record<string, unknown>, rng: Rng, n: number) {
  let text = toJsonText(rng, { jsonrpc: '2.0', method, params, id: `z${n}` });
  if (rng.chance(0.05)) text = withProtoKey(text);
  const sent = JSON.parse(text) as { params: Record<string, unknown> };
  const reply = (await rawCall(text, `z${n}`)) as { result?: { value: unknown }; error?: { code: number; message: string } };
  return { sent: sent.params, got: reply.error ? reply.error : { value: reply.result?.value } };
}

async function viaHttp(method: string, params: Record<string, unknown>, rng: Rng) {
  const verb = method.endsWith('post_item') ? 'POST' : method.endsWith('get_item') ? 'GET' : 'DELETE';
  let res: Response;
  let sent = params;
  if (verb === 'POST') {
    let text = toJsonText(rng, params);
    if (rng.chance(0.05)) text = withProtoKey(text);
    sent = JSON.parse(text) as Record<string, unknown>;
    res = await fetch(`${s.url}/server/database/item`, { method: verb, headers: { 'content-type': 'application/json' }, body: text });
  } else {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, v as string);
    res = await fetch(`${s.url}/server/database/item?${q}`, { method: verb });
  }
  const body = (await res.json()) as { result?: { value: unknown }; error?: { code: number; message: string } };
  if (res.status !== 200 && body.error?.code !== res.status) fail(`HTTP ${verb}: status ${res.status} with body code ${body.error?.code}`);
  return { sent, got: res.status === 200 ? { value: body.result?.value } : { code: res.status, message: body.error?.message ?? '' } };
}

test(`${COUNT} generated database operations agree with a model of the store`, async () => {
  const rng = new Rng(SEED);
  // A few namespaces get most of the traffic, so keys collide, nest and get deleted.
  const hot = Array.from({ length: 6 }, () => dbName(rng));
  for (let n = 0; n < COUNT; n++) {
    const ns = rng.chance(0.7) ? rng.pick(hot) : dbName(rng);
    const method = rng.pick(['server.database.post_item', 'server.database.post_item', 'server.database.get_item', 'server.database.delete_item']);
    const params: Record<string, unknown> = { namespace: ns, key: rng.chance(0.05) ? undefined : dbKey(rng) };
    if (method.endsWith('post_item') && rng.chance(0.97)) params.value = dbValue(rng);
    // HTTP query strings carry only strings, and a URL only so long.
    const queryable = typeof params.key === 'string' || params.key === undefined;
    const http = rng.chance(0.3) && (method.endsWith('post_item') || (queryable && encodeURIComponent(`${ns}${String(params.key)}`).length < 6000));
    const { sent, got } = http ? await viaHttp(method, params, rng) : await viaWebsocket(method, params, rng, n);
    const context = `seed ${SEED} #${n} ${http ? 'HTTP' : 'ws'} ${method} ${JSON.stringify({ namespace: ns, key: params.key })?.slice(0, 200)}`;
    const nsSent = sent.namespace as string;
    const expected: Outcome = refusedJson(sent)
      ? err(400)
      : method.endsWith('post_item')
        ? modelPost(nsSent, sent.key, sent.value)
        : method.endsWith('get_item')
          ? modelGet(nsSent, sent.key)
          : modelDelete(nsSent, sent.key);
    check(context, expected, got);
    if (failures.length >= 30) break;
  }
  // The whole store, namespace by namespace, is what the model says.
  for (const [ns, space] of model) {
    const expected: Outcome = space.size > 0 ? { ok: Object.fromEntries(space) } : err(404);
    try {
      const value = (await ws.call('server.database.get_item', { namespace: ns })).value as unknown;
      check(`final namespace ${JSON.stringify(ns).slice(0, 80)}`, expected, { value });
    } catch (e) {
      check(`final namespace ${JSON.stringify(ns).slice(0, 80)}`, expected, e as { code: number; message: string });
    }
  }
  const listed = new Set((await ws.call('server.database.list')).namespaces as string[]);
  for (const [ns, space] of model) if (space.size > 0 && !listed.has(ns)) fail(`server.database.list misses ${JSON.stringify(ns).slice(0, 80)}`);
  assert.deepEqual(failures, [], `seed ${SEED}`);
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTOTYPE_BEFORE);
  assert.equal((await s.http('GET', '/server/info')).status, 200);
});
