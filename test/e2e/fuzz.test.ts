// A seeded fuzz run: JSON-RPC messages over the websocket and HTTP requests generated from the
// endpoint registry's declarations, bent every way a client can bend them (see fuzzInput.ts).
// Nothing may crash, every reply must be a proper error or a result (JSON-RPC error objects
// with JSON-RPC or HTTP-status codes; HTTP 2xx, or 4xx with a JSON error body; never a 500),
// and the server must still answer afterwards. MOONSTATE_FUZZ_COUNT (default 10,000) and
// MOONSTATE_FUZZ_SEED choose the run; a failure names the seed and the message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startStack, type Stack } from '../helpers/testStack.js';
import { PATH_TRICKS, Rng, paramsFor, randomValue, toJsonText, withInvalidUtf8 } from '../helpers/fuzzInput.js';
import type { RpcEndpoint } from '../../src/transport/endpointRegistry.js';
import { JSONRPC_INVALID_PARAMS, JSONRPC_INVALID_REQUEST, JSONRPC_METHOD_NOT_FOUND, JSONRPC_PARSE_ERROR } from '../../src/transport/errorCodes.js';

const COUNT = Number(process.env.MOONSTATE_FUZZ_COUNT ?? 10_000);
const SEED = Number(process.env.MOONSTATE_FUZZ_SEED ?? 20261123);
/** The default max_websocket_message_size and max_http_body_size; generated values stay below it. */
const LIMIT_KIB = 4096;
/** They would shut the host down or restart Klippy: not for a fuzz run. */
const NEVER_CALLED = new Set(['machine.shutdown', 'machine.reboot', 'printer.emergency_stop', 'printer.restart', 'printer.firmware_restart', 'server.restart']);
const RPC_CODES = new Set([JSONRPC_PARSE_ERROR, JSONRPC_INVALID_REQUEST, JSONRPC_METHOD_NOT_FOUND, JSONRPC_INVALID_PARAMS]);

let s: Stack;
let endpoints: RpcEndpoint[];
const failures: string[] = [];
const fail = (what: string) => {
  if (failures.length < 50) failures.push(what.length > 600 ? what.slice(0, 600) + '…' : what);
};

before(async () => {
  s = await startStack();
  await s.waitReady();
  endpoints = s.server.registry.all().filter((e): e is RpcEndpoint => e.kind === 'rpc' && !NEVER_CALLED.has(e.method));
});
after(() => s.close());

/** A websocket that pairs replies with our ids, and hands out every other non-notification. */
class FuzzSocket {
  private readonly byId = new Map<string, (reply: unknown) => void>();
  private readonly others: unknown[] = [];
  private otherWaiter: (() => void) | undefined;
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        fail(`websocket reply is not JSON: ${data.toString('utf8').slice(0, 200)}`);
        return;
      }
      const m = msg as { id?: unknown; method?: unknown };
      if (!Array.isArray(msg) && typeof m.method === 'string' && !('id' in m)) return; // a notification
      const key = Array.isArray(msg) ? undefined : JSON.stringify(m.id);
      const mine = key !== undefined ? this.byId.get(key) : undefined;
      if (mine) {
        this.byId.delete(key!);
        mine(msg);
      } else {
        this.others.push(msg);
        this.otherWaiter?.();
      }
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.otherWaiter?.();
    });
  }

  static open(url: string): Promise<FuzzSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new FuzzSocket(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends a request whose reply carries `id`. */
  call(text: string | Buffer, id: string | number): Promise<unknown> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 20_000);
      this.byId.set(JSON.stringify(id), (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.ws.send(text);
    });
  }

  /** Sends anything and resolves with the next reply that is not to a numbered call (or undefined). */
  async sendOther(text: string | Buffer, expectReply: boolean): Promise<unknown> {
    this.ws.send(text);
    if (!expectReply) return undefined;
    const deadline = Date.now() + 20_000;
    while (this.others.length === 0 && this.closeCode === undefined && Date.now() < deadline) {
      await new Promise<void>((r) => {
        this.otherWaiter = r;
        setTimeout(r, 100);
      });
    }
    return this.others.shift();
  }
}

/** Client errors, and 503: a store busy for a moment (a compaction) is a proper answer too. */
const isProperStatus = (status: number) => (status >= 400 && status < 500) || status === 503;

function checkRpcError(err: unknown, context: string): void {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code !== 'number' || !Number.isInteger(e.code) || typeof e.message !== 'string') {
    fail(`${context}: malformed error object ${JSON.stringify(err)}`);
    return;
  }
  if (!RPC_CODES.has(e.code) && !isProperStatus(e.code)) fail(`${context}: error ${e.code} ${e.message}`);
}

function checkRpcReply(reply: unknown, id: unknown, context: string): void {
  if (reply === undefined) return fail(`${context}: no reply`);
  const r = reply as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: unknown };
  if (r.jsonrpc !== '2.0' || JSON.stringify(r.id) !== JSON.stringify(id)) return fail(`${context}: bad envelope ${JSON.stringify(reply).slice(0, 200)}`);
  if ('error' in r) checkRpcError(r.error, context);
  else if (!('result' in r)) fail(`${context}: neither result nor error`);
}

/** One websocket message: a request built from a declaration, or a broken one. */
function wsMessage(rng: Rng, n: number): { text: string | Buffer; context: string } {
  const id = rng.chance(0.5) ? n : `f${n}`;
  const e = rng.pick(endpoints);
  const method = rng.chance(0.9) ? e.method : rng.pick(['', 'nope', 'printer', 'printer.objects.query.x', '__proto__', 'constructor', e.method.toUpperCase()]);
  let params: unknown = paramsFor(rng, e.params);
  if (rng.chance(0.08)) params = randomValue(rng, 1);
  const body = toJsonText(rng, { jsonrpc: '2.0', method, params, id }).replace('"id":', rng.chance(0.01) ? '"id" :' : '"id":');
  const context = `seed ${SEED} #${n} ${method}`;
  switch (rng.int(20)) {
    case 0:
      return { text: withInvalidUtf8(rng, body), context: `${context} (invalid UTF-8)` };
    case 1:
      return { text: body.slice(0, rng.int(body.length)), context: `${context} (truncated)` };
    case 2:
      return { text: toJsonText(rng, { jsonrpc: rng.pick(['1.0', 2, null]), method, id: rng.pick([{}, [], n + 0.5, true]) }), context: `${context} (envelope)` };
    case 3:
      return { text: `[${body},${toJsonText(rng, randomValue(rng))}]`, context: `${context} (batch)` };
    case 4:
      return { text: toJsonText(rng, randomValue(rng)), context: `${context} (not a request)` };
    default:
      return { text: body, context };
  }
}

/**
 * What the server will make of a message, read as it reads it: the id to expect a reply for,
 * 'other' for a reply that cannot carry one (parse errors, invalid requests, batches), or
 * 'none' for a notification, which JSON-RPC answers with nothing.
 */
function expectation(text: string | Buffer): { id: string | number } | 'other' | 'none' {
  let msg: unknown;
  try {
    msg = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
  } catch {
    return 'other';
  }
  // A batch is answered if any member is; a member that is itself an array is an invalid request.
  const answered = (m: unknown): boolean => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return true;
    const r = m as Record<string, unknown>;
    return 'id' in r || r.jsonrpc !== '2.0' || typeof r.method !== 'string' || r.method === '';
  };
  if (Array.isArray(msg) ? msg.length > 0 && !msg.some(answered) : !answered(msg)) return 'none';
  const id = (msg as { id?: unknown } | null)?.id;
  if (!Array.isArray(msg) && (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))) return { id };
  return 'other';
}

async function fuzzWebsocket(rng: Rng, count: number): Promise<void> {
  let calls = await FuzzSocket.open(s.wsUrl);
  let others = await FuzzSocket.open(s.wsUrl);
  const inFlight = new Set<Promise<void>>();
  for (let n = 0; n < count; n++) {
    if (rng.chance(0.003)) {
      // An oversized frame closes that connection with 1009 (Message Too Big), and only it.
      const big = await FuzzSocket.open(s.wsUrl);
      await big.sendOther(JSON.stringify({ jsonrpc: '2.0', method: 'printer.info', id: 1 }).padEnd(LIMIT_KIB * 1024 + 10), true);
      if (big.closeCode !== 1009) fail(`seed ${SEED} #${n}: oversized frame gave close code ${big.closeCode}`);
      continue;
    }
    if (calls.closeCode !== undefined) {
      fail(`seed ${SEED} #${n - 1}: the server closed the connection (${calls.closeCode})`);
      calls = await FuzzSocket.open(s.wsUrl);
    }
    const m = wsMessage(rng, n);
    const expect = expectation(m.text);
    if (expect === 'none') {
      others.ws.send(m.text);
    } else if (expect !== 'other') {
      const p = calls.call(m.text, expect.id).then((reply) => checkRpcReply(reply, expect.id, m.context));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= 32) await Promise.race(inFlight);
    } else {
      const reply = await others.sendOther(m.text, true);
      if (others.closeCode !== undefined) {
        fail(`${m.context}: the server closed the connection (${others.closeCode})`);
        others = await FuzzSocket.open(s.wsUrl);
        continue;
      }
      // Each broken message gets one reply (or an array of them for a batch): errors or results.
      for (const r of Array.isArray(reply) ? reply : [reply]) {
        const x = r as { id?: unknown; error?: unknown; result?: unknown };
        if (r === undefined) fail(`${m.context}: no reply`);
        else if ('error' in x) checkRpcError(x.error, m.context);
        else if (!('result' in x)) fail(`${m.context}: neither result nor error: ${JSON.stringify(r).slice(0, 200)}`);
      }
    }
  }
  await Promise.all(inFlight);
  calls.ws.terminate();
  others.ws.terminate();
}

interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

function rawHttp(method: string, path: string, body?: Buffer | string, contentType?: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(s.url);
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers['content-length'] = Buffer.byteLength(body);
      if (contentType) headers['content-type'] = contentType;
    }
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const enc = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');

/** One HTTP request: a declared route with generated query or body, or a raw route with tricks. */
function httpRequest(rng: Rng): { method: string; path: string; body?: Buffer | string; contentType?: string } {
  if (rng.chance(0.2)) {
    const trick = rng.pick(PATH_TRICKS);
    const path = rng.pick([
      `/server/files/gcodes/${encodeURI(trick)}`,
      `/server/files/${rng.pick(['config', 'config_examples', 'nope', '..'])}/${trick.replace(/[^\x20-\x7e]/g, '')}`,
      `/server/files/gcodes/%ff%fe`,
      `/server/files/gcodes/%2e%2e/%2e%2e/etc/passwd`,
      `/server/files/klippy.log?x=%ff`,
      `/${encodeURI(trick)}`,
    ]);
    if (rng.chance(0.15)) {
      const boundary = 'b' + rng.int(1e9);
      const junk = rng.pick([
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${trick}"\r\n\r\nG28\r\n--${boundary}--\r\n`,
        `--${boundary}\r\nContent-Disposition: form-data; name="root"\r\n\r\n${trick}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.gcode"\r\n\r\nG28\r\n--${boundary}--\r\n`,
        `--${boundary}\r\nno headers at all`,
        'not multipart',
      ]);
      return { method: 'POST', path: '/server/files/upload', body: junk, contentType: rng.chance(0.8) ? `multipart/form-data; boundary=${boundary}` : 'text/plain' };
    }
    return { method: rng.pick(['GET', 'DELETE', 'POST', 'PUT', 'PATCH']), path };
  }
  const e = rng.pick(endpoints.filter((x) => x.http));
  const method = rng.chance(0.9) ? rng.pick(e.http!.verbs) : rng.pick(['GET', 'POST', 'DELETE', 'PUT']);
  const params = paramsFor(rng, e.params);
  const q = new URLSearchParams();
  if (method === 'GET' || method === 'DELETE' || rng.chance(0.3)) {
    for (const [k, v] of Object.entries(params)) q.append(k, enc(v).slice(0, 4000));
    if (rng.chance(0.1)) q.append(rng.pick(Object.keys(params).concat('x')), 'again');
  }
  let qs = q.toString();
  if (rng.chance(0.05)) qs += rng.pick(['&%ff=1', '&a=%e0%80', '&%=', '&&&', '&x=%00']);
  const path = e.http!.path.replace(':root', rng.pick(['gcodes', 'config', 'x'])).replace('*path', 'a.gcode') + (qs ? `?${qs}` : '');
  if (method !== 'POST' || rng.chance(0.3)) return { method, path };
  switch (rng.int(8)) {
    case 0:
      return { method, path, body: '{"broken": ', contentType: 'application/json' };
    case 1:
      return { method, path, body: withInvalidUtf8(rng, toJsonText(rng, params)), contentType: 'application/json' };
    case 2:
      return { method, path, body: toJsonText(rng, randomValue(rng)), contentType: 'application/json' };
    case 3:
      return { method, path, body: toJsonText(rng, params), contentType: rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) };
    case 4:
      return { method, path, body: JSON.stringify({ pad: 'z'.repeat(LIMIT_KIB * 1024) }), contentType: 'application/json' };
    default:
      return { method, path, body: toJsonText(rng, params), contentType: 'application/json' };
  }
}

function checkHttp(r: HttpReply, context: string): void {
  if (r.status < 200 || (r.status >= 500 && !isProperStatus(r.status))) return fail(`${context}: status ${r.status} ${r.body.slice(0, 300)}`);
  if (r.status < 400) return;
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(r.body);
  } catch {
    return fail(`${context}: ${r.status} without a JSON body: ${r.body.slice(0, 200)}`);
  }
  if (!/json/.test(r.contentType) || body.error?.code !== r.status || typeof body.error.message !== 'string') {
    fail(`${context}: ${r.status} with an improper error body ${r.body.slice(0, 200)}`);
  }
}

async function fuzzHttp(rng: Rng, count: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let n = 0; n < count; n++) {
    const req = httpRequest(rng);
    const context = `seed ${SEED} http #${n} ${req.method} ${req.path.slice(0, 200)}`;
    const p = rawHttp(req.method, req.path, req.body, req.contentType).then(
      (r) => checkHttp(r, context),
      (err: Error) => fail(`${context}: ${err.message}`),
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 16) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

test(`${COUNT} generated websocket messages and HTTP requests: proper errors only, and the server lives`, async () => {
  const wsCount = Math.ceil(COUNT / 2);
  await Promise.all([fuzzWebsocket(new Rng(SEED), wsCount), fuzzHttp(new Rng(SEED + 1), COUNT - wsCount)]);
  assert.deepEqual(failures, [], `seed ${SEED}`);
  // Still answering, both ways, with Klippy still ready.
  const ws = await s.ws();
  assert.equal((await ws.call('printer.info')).state, 'ready');
  assert.equal((await s.http('GET', '/server/info')).status, 200);
  assert.equal(s.server.kernel.klippy.state, 'ready');
});
