// The transports beside the websocket, as today's Moonraker has them: its unix socket
// ({data_path}/comms/moonraker.sock, ETX-framed JSON-RPC with notifications), JSON-RPC over
// plain HTTP (POST /server/jsonrpc), and Klippy's own endpoints found through list_endpoints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { UnixRpcClient } from '../helpers/unixRpcClient.js';
import { rawRequest } from '../helpers/fileClient.js';

let s: Stack;
let locked: Stack;
const sockOf = (st: Stack) => join(st.dir, 'data', 'comms', 'moonraker.sock');

before(async () => {
  [s, locked] = await Promise.all([startStack(), startStack({ trustLoopback: false })]);
  await s.waitReady();
});
after(async () => {
  await Promise.all([s?.close(), locked?.close()]);
});

test('the unix socket answers JSON-RPC framed by 0x03, however the bytes arrive', async () => {
  const path = sockOf(s);
  const st = lstatSync(path);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o660, 'owner and group only');
  const c = await UnixRpcClient.connect(path);
  try {
    const info = await c.request('server.info');
    assert.equal((info.result as { klippy_state: string }).klippy_state, 'ready');
    // Two requests in one write, then one split in the middle of a multi-byte character.
    c.write('{"jsonrpc":"2.0","id":"a","method":"printer.info"}\x03{"jsonrpc":"2.0","id":"b","method":"nope.nope"}\x03');
    assert.equal(typeof ((await c.waitFor((m) => m.id === 'a')).result as { state: string }).state, 'string');
    assert.equal((await c.waitFor((m) => m.id === 'b')).error?.code, -32601);
    const whole = Buffer.from('{"jsonrpc":"2.0","id":"c","method":"server.database.post_item","params":{"namespace":"unix","key":"k","value":"é€"}}\x03');
    const cut = whole.indexOf(Buffer.from('€')) + 1;
    c.write(whole.subarray(0, cut));
    c.write(whole.subarray(cut));
    assert.equal(((await c.waitFor((m) => m.id === 'c')).result as { value: string }).value, 'é€');
    // Today's Moonraker's answers on its unix socket: no user, a missing namespace is -32601.
    assert.deepEqual((await c.request('access.get_user')).result, { username: null, source: null, created_on: null });
    assert.deepEqual((await c.request('server.database.get_item', { namespace: 'nope' })).error, { code: -32601, message: 'Namespace nope not found' });
    // Garbage is a parse error reply, not a closed connection.
    c.write('{nope\x03');
    assert.equal((await c.waitFor((m) => m.id === null && m.error?.code === -32700)).error?.code, -32700);
    assert.equal((await c.request('server.info')).error, undefined);
  } finally {
    c.close();
  }
});

test('a unix socket client identifies and gets notifications like a websocket', async () => {
  const c = await UnixRpcClient.connect(sockOf(s));
  try {
    const id = await c.request('server.connection.identify', { client_name: 'agent', version: '1', type: 'agent', url: 'x' });
    assert.equal(typeof (id.result as { connection_id: number }).connection_id, 'number');
    const sub = await c.request('printer.objects.subscribe', { objects: { webhooks: null } });
    assert.equal(typeof (sub.result as { eventtime: number }).eventtime, 'number');
    // A gcode run from a websocket: its response reaches the unix client as a notification.
    const ws = await s.ws();
    await ws.call('printer.gcode.script', { script: 'NOT_A_COMMAND_XYZ' });
    const n = await c.waitFor((m) => m.method === 'notify_gcode_response' && JSON.stringify(m.params).includes('NOT_A_COMMAND_XYZ'));
    assert.equal(n.id, undefined);
  } finally {
    c.close();
  }
});

test('a frame that never ends is refused: the connection is closed, the server goes on', async () => {
  const c = await UnixRpcClient.connect(sockOf(s));
  c.write(Buffer.alloc(5 * 1024 * 1024, 0x20));
  await new Promise<void>((resolve) => (c.closed ? resolve() : c.socket.once('close', () => resolve())));
  const d = await UnixRpcClient.connect(sockOf(s));
  assert.equal((await d.request('server.info')).error, undefined);
  d.close();
});

/** A listener at `path` in a child process, killed with SIGKILL so its socket file stays behind. */
async function staleSocketAt(path: string): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  const child = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.ok(lstatSync(path).isSocket(), 'the killed listener left its socket file');
}

test('start-up replaces a stale socket, leaves a live one or a plain file alone; stop removes ours', async () => {
  const { startServer, loadServerConfig } = await import('../../src/server.js');
  const config = (dataPath: string) =>
    loadServerConfig({ text: `[server]\nhost: 127.0.0.1\nport: 0\nklippy_uds_address: ${s.socketPath}\n`, dataPath }).config;

  const stale = join(s.dir, 'stale');
  await staleSocketAt(join(stale, 'comms', 'moonraker.sock'));
  const a = await startServer({ config: config(stale), logToFile: false });
  const c = await UnixRpcClient.connect(join(stale, 'comms', 'moonraker.sock'));
  assert.equal((await c.request('server.info')).error, undefined);
  c.close();
  await a.close();
  assert.equal(existsSync(join(stale, 'comms', 'moonraker.sock')), false, 'removed on stop');

  // Another server (Moonraker still running) keeps its socket: we do not steal it.
  const live = join(s.dir, 'live');
  mkdirSync(join(live, 'comms'), { recursive: true });
  const other = createServer((sock) => {
    sock.on('error', () => {});
    sock.end('other\x03');
  });
  await new Promise<void>((r) => other.listen(join(live, 'comms', 'moonraker.sock'), r));
  const b = await startServer({ config: config(live), logToFile: false });
  const reply = await new Promise<string>((resolve, reject) => {
    const probe = createConnection(join(live, 'comms', 'moonraker.sock'));
    probe.once('data', (d: Buffer) => (resolve(d.toString()), probe.destroy()));
    probe.once('error', reject);
  });
  assert.equal(reply, 'other\x03');
  await b.close();
  assert.ok(existsSync(join(live, 'comms', 'moonraker.sock')), 'the other server still has its socket');
  await new Promise<void>((r) => other.close(() => r()));

  // A plain file at the path is the user's: neither replaced nor deleted.
  const plain = join(s.dir, 'plain');
  mkdirSync(join(plain, 'comms'), { recursive: true });
  writeFileSync(join(plain, 'comms', 'moonraker.sock'), 'mine');
  const p = await startServer({ config: config(plain), logToFile: false });
  await p.close();
  assert.ok(lstatSync(join(plain, 'comms', 'moonraker.sock')).isFile());
});

test('POST /server/jsonrpc: a JSON-RPC request in, the JSON-RPC response out', async () => {
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, st = s) =>
    rawRequest(st.url, 'POST', '/server/jsonrpc', { ...headers, 'content-length': Buffer.byteLength(body) }, body);
  const ok = await post(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'printer.info' }));
  assert.equal(ok.status, 200);
  assert.equal(ok.json.id, 7);
  assert.equal(ok.json.jsonrpc, '2.0');
  assert.equal(typeof ok.json.result.state, 'string');
  const missing = await post(JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'server.database.get_item', params: { namespace: 'no_such_ns' } }));
  assert.equal(missing.status, 200);
  // Today's Moonraker: a 404 travels as -32601 over JSON-RPC.
  assert.deepEqual(missing.json.error, { code: -32601, message: 'Namespace no_such_ns not found' });
  assert.equal((await post('{nope')).json.error.code, -32700);
  const batch = await post(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'server.info' }, { jsonrpc: '2.0', id: 2, method: 'nope' }]));
  assert.deepEqual(batch.json.map((r: { id: number }) => r.id).sort(), [1, 2]);
  const note = await post(JSON.stringify({ jsonrpc: '2.0', method: 'server.info' }));
  assert.equal(note.status, 200);
  assert.equal(note.text, '');
  assert.equal((await post('{}', { 'content-type': 'text/plain' })).status, 400);
  // Credentials as for any HTTP request.
  assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server.info' }), undefined, locked)).status, 401);
});

test("Klippy's endpoints are exposed from its list_endpoints: printer.<a.b> and /printer/<a/b>", async () => {
  // Not declared by us: found in what Klippy registered.
  assert.equal(s.server.registry.has('printer.gcode.restart'), false);
  assert.equal(s.server.registry.has('printer.pause_resume.pause'), false);
  const ws = await s.ws();
  // Klippy's reply comes back as Klippy sent it (RESUME when nothing is paused is no error).
  assert.deepEqual(await ws.call('printer.pause_resume.resume'), {});
  assert.deepEqual((await s.http('POST', '/printer/pause_resume/resume')).body, { result: {} });
  // Reserved ones never are.
  for (const m of ['printer.list_endpoints', 'printer.gcode.subscribe_output', 'printer.register_remote_method']) {
    await assert.rejects(ws.call(m), (e: { code: number }) => e.code === -32601, m);
  }
  assert.equal((await s.http('GET', '/printer/list_endpoints')).status, 404);
  assert.equal((await s.http('GET', '/printer/no/such/endpoint')).status, 404);
  // A restart through Klippy's gcode/restart, over HTTP and then over the websocket.
  const r = await s.http('POST', '/printer/gcode/restart');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await s.waitState('ready', 15_000).catch(() => undefined);
  await s.waitReady(15_000);
  const ws2 = await s.ws();
  await ws2.call('printer.gcode.firmware_restart').catch((e: { code?: number }) => assert.equal(e.code, 503));
  await s.waitReady(15_000);
});
