// A Klippy that misbehaves, as an attacker on the socket would make it: null statuses, wrong
// types, prototype keys, deep nesting, invalid UTF-8, garbage replies, lost replies, and a Klippy
// that stops reading. The server runs in a child process (a crash shows as an exit) and talks to
// the virtual Klippy through HostileKlippy, which bends what passes. Whatever Klippy sends, the
// server lives, keeps answering, and every request ends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess } from '../helpers/serverProcess.js';
import { HostileKlippy, startHostilePeer, type HostilePeer } from '../helpers/hostileKlippy.js';
import { RpcClient, RpcError } from '../helpers/rpcClient.js';

const REQUEST_TIMEOUT_MS = 1000;
const GCODE_TIMEOUT_S = 0.5;

let klippy: HostileKlippy;
let peer: HostilePeer;
let server: ServerProcess;
let ws: RpcClient;

before(async () => {
  peer = await startHostilePeer('moonstate-hostile-', 20);
  ({ klippy } = peer);
  const { proxyPath } = peer;
  server = await ServerProcess.start(peer.dataPath, {
    klippyTimeoutMs: REQUEST_TIMEOUT_MS,
    config: `klippy_uds_address: ${proxyPath}\nklippy_gcode_timeout: ${GCODE_TIMEOUT_S}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n`,
  });
  await server.ready();
  ws = await RpcClient.connect(server.wsUrl);
  // Subscribed, so every status update is merged and fanned out to a client too.
  await ws.call('printer.objects.subscribe', { objects: { toolhead: null, webhooks: null, print_stats: null, extruder: null } });
});

after(async () => {
  await ws.close();
  await server.stop();
  await peer.close();
});

const status = (s: unknown, eventtime: unknown = 1) => ({ method: 'process_status_update', params: { eventtime, status: s } });
const raw = (text: string) => Buffer.from(text + '\x03');
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

/** One of each kind of bad message Klippy could send unasked. */
const NASTY: Array<[string, Buffer | object]> = [
  ['toolhead: null', status({ toolhead: null })],
  ['webhooks: null', status({ webhooks: null })],
  ['every object null', status({ toolhead: null, webhooks: null, print_stats: null, extruder: null, heaters: null, virtual_sdcard: null })],
  ['status: null', status(null)],
  ['status: an array', status([1, 2])],
  ['status: a string', status('ready')],
  ['objects as arrays and numbers', status({ toolhead: [1], webhooks: 5, extruder: 'hot' })],
  ['eventtime not a number', status({ toolhead: { position: [0, 0, 0, 0] } }, 'now')],
  ['eventtime missing', { method: 'process_status_update', params: { status: { toolhead: {} } } }],
  ['params: null', { method: 'process_status_update', params: null }],
  ['params: a string', { method: 'process_status_update', params: 'x' }],
  ['webhooks with wrong types', status({ webhooks: { state: 7, state_message: { a: 1 } } })],
  ['webhooks with an unknown state', status({ webhooks: { state: 'exploded', state_message: 'boom' } })],
  ['print_stats with wrong types', status({ print_stats: { state: 5, filename: { a: 1 }, total_duration: 'long', filament_used: null, info: 7, message: [] } })],
  ['print_stats printing a non-string file', status({ print_stats: { state: 'printing', filename: ['a'], total_duration: 1, print_duration: 1, filament_used: 0, message: '' } })],
  ['heaters with wrong types', status({ heaters: { available_sensors: 'extruder', available_monitors: [1, null] } })],
  ['virtual_sdcard with wrong types', status({ virtual_sdcard: { progress: 'half', is_active: 'yes', file_position: {} } })],
  ['extruder temperatures of the wrong type', status({ extruder: { temperature: 'hot', target: null, power: [] } })],
  ['__proto__ as an object name', raw('{"method":"process_status_update","params":{"eventtime":1,"status":{"__proto__":{"polluted":1}}}}')],
  ['__proto__ as a field name', raw('{"method":"process_status_update","params":{"eventtime":1,"status":{"toolhead":{"__proto__":{"polluted":2}}}}}')],
  ['constructor and prototype', status({ constructor: { prototype: { polluted: 3 } }, prototype: { x: 1 } })],
  ['nesting 100,000 deep', raw(`{"method":"process_status_update","params":{"eventtime":1,"status":{"toolhead":{"x":${deep(100_000)}}}}}`)],
  ['nesting 100 deep', raw(`{"method":"process_status_update","params":{"eventtime":1,"status":{"toolhead":{"x":${deep(100)}}}}}`)],
  ['gcode response: null', { method: 'process_gcode_response', params: { response: null } }],
  ['gcode response: an object', { method: 'process_gcode_response', params: { response: { a: 1 } } }],
  ['gcode response: no params', { method: 'process_gcode_response' }],
  ['an unknown method with a huge name', { method: 'x'.repeat(100_000), params: {} }],
  ['method: a number', { method: 5, params: {} }],
  ['a reply to an id never sent', { id: 987654321, result: {} }],
  ['a reply with a string id', { id: 'x', result: null }],
  ['a reply with an object id and a number error', { id: {}, error: 5 }],
  ['a reply with id -1 and no result', { id: -1 }],
  ['not JSON', raw('garbage {')],
  ['a JSON array', raw('[1,2,3]')],
  ['JSON null', raw('null')],
  ['a JSON number', raw('42')],
  ['a JSON string', raw('"ready"')],
  ['an empty frame', raw('')],
  ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x03])],
  ['invalid UTF-8 inside a status string', Buffer.concat([Buffer.from('{"method":"process_status_update","params":{"eventtime":1,"status":{"toolhead":{"homed_axes":"'), Buffer.from([0xff, 0xc3]), Buffer.from('"}}}}\x03')])],
  ['a lone surrogate', raw('{"method":"process_gcode_response","params":{"response":"\\ud800"}}')],
  ['a hundred frames in one write', Buffer.concat(Array.from({ length: 100 }, (_, i) => raw(JSON.stringify(status(i % 2 ? { toolhead: null } : { webhooks: { state: 'ready' } })))))],
  ['NaN-like numbers', raw('{"method":"process_status_update","params":{"eventtime":1e400,"status":{"toolhead":{"x":-1e400}}}}')],
];

/** The server answers a client, over both transports, and still sees Klippy ready. */
async function assertAlive(context: string): Promise<void> {
  assert.equal(server.exitedUnasked, undefined, `${context}: the server exited`);
  const res = await fetch(`${server.url}/server/info`);
  assert.equal(res.status, 200, context);
  const info = (await res.json()) as { result: { klippy_state: string } };
  assert.equal(info.result.klippy_state, 'ready', context);
  const q = await ws.call('printer.objects.query', { objects: { webhooks: null, toolhead: ['homed_axes'] } });
  assert.equal(q.status.webhooks.state, 'ready', context);
}

test('no message Klippy sends unasked crashes the server or changes its view of Klippy', async () => {
  for (const [name, message] of NASTY) {
    klippy.send(message);
    await assertAlive(name);
  }
  // The same messages split into single bytes, arriving one write at a time.
  for (const [name, message] of NASTY.slice(0, 12)) {
    const bytes = Buffer.isBuffer(message) ? message : Buffer.from(JSON.stringify(message) + '\x03');
    for (const b of bytes) klippy.send(Buffer.of(b));
    await assertAlive(`${name}, byte by byte`);
  }
  // Klippy's own updates still reach the subscribed client afterwards.
  const since = ws.notifications.length;
  await ws.call('printer.gcode.script', { script: 'G28' });
  await ws.waitFor('notify_status_update', (p) => JSON.stringify(p).includes('homed_axes'), 10_000, since);
});

test('a gcode response of megabytes is cut before it reaches the console and the clients', async () => {
  const since = ws.notifications.length;
  klippy.send({ method: 'process_gcode_response', params: { response: `// ${'y'.repeat(5 * 1024 * 1024)}` } });
  const n = await ws.waitFor('notify_gcode_response', (p) => typeof p?.[0] === 'string' && p[0].startsWith('// yyy'), 10_000, since);
  const line = n.params![0] as string;
  assert.ok(line.length < 70 * 1024 && /characters cut\)$/.test(line), `${line.length} characters`);
  const store = (await (await fetch(`${server.url}/server/gcode_store?count=5`)).json()) as { result: { gcode_store: Array<{ message: string }> } };
  assert.ok(store.result.gcode_store.every((e) => e.message.length < 70 * 1024));
  await assertAlive('huge gcode response');
});

test('replies of the wrong shape fail their request with 502, and the next request works', async () => {
  const cases: Array<[string, string, object, (c: RpcClient) => Promise<unknown>]> = [
    ['objects/query', 'status: 5', { result: { eventtime: 'x', status: 5 } }, (c) => c.call('printer.objects.query', { objects: { gcode_move: null } })],
    ['objects/query', 'result: null', { result: null }, (c) => c.call('printer.objects.query', { objects: { gcode_move: null } })],
    ['objects/list', 'objects: numbers', { result: { objects: [1, null] } }, (c) => c.call('printer.objects.list')],
    ['info', 'state: 12', { result: { state: 12 } }, (c) => c.call('printer.info')],
    ['info', 'klipper_path: an object', { result: { state: 'ready', klipper_path: { a: 1 } } }, (c) => c.call('printer.info')],
    ['query_endstops/status', 'result: a string', { result: 'open' }, (c) => c.call('printer.query_endstops.status')],
  ];
  for (const [method, what, reply, call] of cases) {
    klippy.rewrites.set(method, (msg) => ({ ...reply, id: msg.id }));
    try {
      await assert.rejects(call(ws), (e: unknown) => e instanceof RpcError && e.code === 502 && e.message.includes(method), `${method} ${what}`);
    } finally {
      klippy.rewrites.delete(method);
    }
    await call(ws);
    await assertAlive(`${method} ${what}`);
  }
  // Odd but well-formed: objects that are not objects are left out, the rest is answered.
  klippy.rewrites.set('objects/query', (msg) => ({ id: msg.id, result: { eventtime: 5, status: { gcode_move: null, toolhead: { homed_axes: 'xyz' } } } }));
  try {
    const r = await ws.call('printer.objects.query', { objects: { gcode_move: null, toolhead: null } });
    assert.deepEqual(r.status, { toolhead: { homed_axes: 'xyz' } });
  } finally {
    klippy.rewrites.delete('objects/query');
  }
  // Error replies of every shape become 400s with a text.
  for (const error of [null, 5, 'plain text', { message: 7 }, { message: 'x'.repeat(200_000) }]) {
    klippy.rewrites.set('objects/list', (msg) => ({ id: msg.id, error }));
    try {
      const r = await ws.call('printer.objects.list').then(
        () => 'answered',
        (e: unknown) => e,
      );
      if (error !== null) assert.ok(r instanceof RpcError && r.code === 400 && r.message.length <= 70_000, JSON.stringify(error).slice(0, 40));
    } finally {
      klippy.rewrites.delete('objects/list');
    }
  }
  await assertAlive('error replies');
});

test('a garbage handshake keeps the server in startup, answering, until Klippy makes sense again', async () => {
  for (const [method, reply] of [
    ['info', { result: { state: null } }],
    ['list_endpoints', { result: { endpoints: 'all' } }],
    ['objects/subscribe', { result: { eventtime: 1, status: null } }],
  ] as const) {
    klippy.rewrites.set(method, (msg) => ({ ...reply, id: msg.id }));
    try {
      const since = ws.notifications.length;
      klippy.dropConnections();
      await ws.waitFor('notify_klippy_disconnected', undefined, 10_000, since);
      // Klippy is asked again and again; the server lives and says where it is.
      const deadline = Date.now() + 10_000;
      while ((klippy.requestCounts.get(method) ?? 0) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(server.exitedUnasked, undefined);
      const info = (await (await fetch(`${server.url}/server/info`)).json()) as { result: { klippy_state: string } };
      assert.notEqual(info.result.klippy_state, 'ready', method);
      klippy.requestCounts.clear();
    } finally {
      klippy.rewrites.delete(method);
    }
    await server.ready();
    await assertAlive(`garbage ${method} reply`);
  }
});

test('an info reply with nothing but a state (no state_message) is followed, not a crash', async () => {
  for (const state of ['shutdown', 'error', 'ready']) {
    klippy.rewrites.set('info', (msg) => ({ id: msg.id, result: { state } }));
    // A consistent Klippy: its subscribe reply's webhooks says the same (that later reply is
    // followed too, so a ready there would rightly win over the info reply).
    klippy.rewrites.set('objects/subscribe', (msg) => {
      const result = msg.result as { status?: Record<string, unknown> } | undefined;
      return result?.status ? { ...msg, result: { ...result, status: { ...result.status, webhooks: { state } } } } : msg;
    });
    try {
      const since = ws.notifications.length;
      klippy.dropConnections();
      await ws.waitFor('notify_klippy_disconnected', undefined, 10_000, since);
      const deadline = Date.now() + 10_000;
      let seen = '';
      while (seen !== state && Date.now() < deadline) {
        const info = (await (await fetch(`${server.url}/server/info`)).json()) as { result: { klippy_state: string } };
        seen = info.result.klippy_state;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(seen, state);
      assert.equal(server.exitedUnasked, undefined, state);
    } finally {
      klippy.rewrites.delete('info');
      klippy.rewrites.delete('objects/subscribe');
    }
    const since = ws.notifications.length;
    klippy.dropConnections();
    await ws.waitFor('notify_klippy_disconnected', undefined, 10_000, since);
    await server.ready();
  }
  await assertAlive('bare info reply');
});

test('a frame past 20 MiB closes the connection; the server reconnects', async () => {
  await assertAlive('before the huge frame');
  const since = ws.notifications.length;
  klippy.send(Buffer.alloc(21 * 1024 * 1024, 0x7b));
  await ws.waitFor('notify_klippy_disconnected', undefined, 10_000, since);
  await ws.waitFor('notify_klippy_ready', undefined, 10_000, since);
  await assertAlive('huge frame');
});

test('server.info is answered from what the server holds: it sends Klippy nothing', async () => {
  // Klippy keeps reading but answers nothing at all.
  const before = new Map(klippy.requestCounts);
  for (const m of ['info', 'objects/list', 'objects/query', 'list_endpoints']) klippy.rewrites.set(m, () => 'drop');
  try {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/server/info`);
      assert.equal(res.status, 200);
      const info = (await res.json()) as { result: { klippy_state: string; missing_klippy_requirements: string[] } };
      assert.equal(info.result.klippy_state, 'ready');
      assert.deepEqual(info.result.missing_klippy_requirements, []);
    }
    assert.deepEqual(klippy.requestCounts, before, 'server.info sent Klippy a request');
  } finally {
    klippy.rewrites.clear();
  }
});

test('a reply that never comes: gcode fails after klippy_gcode_timeout, other requests after the request timeout', async () => {
  klippy.rewrites.set('gcode/script', () => 'drop');
  klippy.rewrites.set('objects/list', () => 'drop');
  try {
    await assert.rejects(ws.call('printer.gcode.script', { script: 'M400' }), (e: unknown) => e instanceof RpcError && e.code === 500 && /timed out/.test(e.message));
    await assert.rejects(ws.call('printer.objects.list'), (e: unknown) => e instanceof RpcError && e.code === 500 && /timed out/.test(e.message));
  } finally {
    klippy.rewrites.clear();
  }
  await assertAlive('lost replies');
});

test('when the connection drops, every pending request fails at once with 503', async () => {
  klippy.rewrites.set('gcode/script', () => 'drop');
  klippy.rewrites.set('objects/query', () => 'drop');
  const since = ws.notifications.length;
  try {
    const gcode = ws.call('printer.gcode.script', { script: 'G4 P100000' });
    const query = ws.call('printer.objects.query', { objects: { gcode_move: null } });
    // Both are with Klippy (their replies lost) before it goes away.
    const deadline = Date.now() + 5000;
    while (((klippy.requestCounts.get('gcode/script') ?? 0) === 0 || (klippy.requestCounts.get('objects/query') ?? 0) === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    klippy.dropConnections();
    for (const r of await Promise.allSettled([gcode, query])) {
      assert.ok(r.status === 'rejected' && r.reason instanceof RpcError && r.reason.code === 503, JSON.stringify(r));
    }
  } finally {
    klippy.rewrites.clear();
  }
  await ws.waitFor('notify_klippy_ready', undefined, 10_000, since);
  await assertAlive('dropped connection');
});

test('a Klippy that stops reading: new requests are refused with 503 once the unsent backlog passes the bound', async () => {
  klippy.stallReading();
  const pad = `; ${'x'.repeat(256 * 1024)}\nM115`;
  const results: Array<Promise<unknown>> = [];
  let refused: RpcError | undefined;
  try {
    // 64 × 256 KiB = 16 MiB, far past the kernel's socket buffers and our 4 MiB bound.
    for (let i = 0; i < 64 && !refused; i++) {
      const p = ws.call('printer.gcode.script', { script: pad }).catch((e: unknown) => {
        if (e instanceof RpcError && e.code === 503 && /not reading/.test(e.message)) refused ??= e;
        return e;
      });
      results.push(p);
      // Give the server the time to write (or refuse) this one before the next.
      await ws.call('server.info');
    }
    assert.ok(refused, 'no request was refused while Klippy did not read');
    // The server itself still answers from what it holds.
    const res = await fetch(`${server.url}/server/info`);
    assert.equal(res.status, 200);
  } finally {
    klippy.resumeReading();
  }
  await Promise.all(results);
  await assertAlive('stalled reader');
});
