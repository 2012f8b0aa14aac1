// The socket actor against a scripted peer on a real unix socket: framing across chunks,
// out-of-order replies, error replies, malformed frames, timeouts, and disconnects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket, type Server } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { KlippySocket } from '../../src/actors/klippySocket.js';
import { EtxDecoder, encodeFrame } from '../../src/shared/etxFraming.js';
import { ServerError } from '../../src/shared/errors.js';

interface Peer {
  server: Server;
  path: string;
  conn: Promise<Socket>;
  requests: Array<{ id: number; method: string; params: unknown }>;
  nextRequest(): Promise<{ id: number; method: string; params: unknown }>;
}

async function peer(): Promise<Peer> {
  const path = join(mkdtempSync(join(tmpdir(), 'ks-')), 'k.sock');
  const requests: Peer['requests'] = [];
  const waiters: Array<(r: Peer['requests'][number]) => void> = [];
  let resolveConn!: (s: Socket) => void;
  const conn = new Promise<Socket>((r) => (resolveConn = r));
  const server = createServer((s) => {
    const dec = new EtxDecoder();
    s.on('data', (d) => {
      for (const f of dec.push(d)) {
        const req = JSON.parse(f);
        const w = waiters.shift();
        if (w) w(req);
        else requests.push(req);
      }
    });
    resolveConn(s);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    server,
    path,
    conn,
    requests,
    nextRequest: () => {
      const queued = requests.shift();
      return queued ? Promise.resolve(queued) : new Promise((r) => waiters.push(r));
    },
  };
}

test('connect fails when nobody listens', async () => {
  await assert.rejects(KlippySocket.connect('/tmp/definitely-not-here.sock'));
});

test('replies are matched by id even out of order and split across chunks', async () => {
  const p = await peer();
  const ks = await KlippySocket.connect(p.path);
  const conn = await p.conn;
  const a = ks.request('info', { client_info: { program: 'x' } });
  const b = ks.request('objects/list');
  const ra = await p.nextRequest();
  const rb = await p.nextRequest();
  assert.equal(ra.method, 'info');
  assert.deepEqual(ra.params, { client_info: { program: 'x' } });
  const bytes = Buffer.concat([encodeFrame({ id: rb.id, result: { objects: ['toolhead'] } }), encodeFrame({ id: ra.id, result: { state: 'ready', state_message: 'Printer is ready' } })]);
  conn.write(bytes.subarray(0, 7));
  await new Promise((r) => setTimeout(r, 10));
  conn.write(bytes.subarray(7));
  assert.deepEqual(await b, { objects: ['toolhead'] });
  assert.deepEqual(await a, { state: 'ready', state_message: 'Printer is ready' });
  ks.close();
  p.server.close();
});

test('an error reply becomes a 400 with Klippy\'s message', async () => {
  const p = await peer();
  const ks = await KlippySocket.connect(p.path);
  const conn = await p.conn;
  const r = ks.request('gcode/script', { script: 'G1 X1000' });
  const req = await p.nextRequest();
  conn.write(encodeFrame({ id: req.id, error: { error: 'WebRequestError', message: 'Move out of range: 1000.000 0.000 0.000 [0.000]' } }));
  await assert.rejects(r, (e: unknown) => e instanceof ServerError && e.kind === 'bad_request' && /Move out of range/.test(e.message));
  ks.close();
  p.server.close();
});

test('malformed frames from Klippy are skipped and the connection keeps working', async () => {
  const p = await peer();
  const ks = await KlippySocket.connect(p.path);
  const conn = await p.conn;
  const msgs = firstValueFrom(ks.messages$.pipe(take(1), toArray()));
  conn.write(Buffer.from('this is not json\x03[1,2,3]\x03"str"\x03'));
  conn.write(encodeFrame({ method: 'process_gcode_response', params: { response: 'ok' } }));
  assert.deepEqual(await msgs, [{ method: 'process_gcode_response', params: { response: 'ok' } }]);
  const r = ks.request('info');
  const req = await p.nextRequest();
  conn.write(encodeFrame({ id: req.id, result: { state: 'ready', state_message: 'Printer is ready' } }));
  assert.deepEqual(await r, { state: 'ready', state_message: 'Printer is ready' });
  assert.ok(ks.isOpen);
  ks.close();
  p.server.close();
});

test('a request past its timeout fails alone; a late reply is ignored', async () => {
  const p = await peer();
  const ks = await KlippySocket.connect(p.path);
  const conn = await p.conn;
  const slow = ks.request('objects/query', {}, { timeoutMs: 50 });
  const slowReq = await p.nextRequest();
  await assert.rejects(slow, (e: unknown) => e instanceof ServerError && e.kind === 'klippy_timeout' && /timed out/.test(e.message));
  conn.write(encodeFrame({ id: slowReq.id, result: { late: true } }));
  const fast = ks.request('info');
  const fastReq = await p.nextRequest();
  conn.write(encodeFrame({ id: fastReq.id, result: { state: 'ready', state_message: 'Printer is ready' } }));
  assert.deepEqual(await fast, { state: 'ready', state_message: 'Printer is ready' });
  assert.equal(ks.pendingCount, 0);
  ks.close();
  p.server.close();
});

test('when the socket closes, pending requests fail with 503 Klippy Disconnected', async () => {
  const p = await peer();
  const ks = await KlippySocket.connect(p.path);
  const conn = await p.conn;
  const closed = firstValueFrom(ks.closed$);
  const pending = ks.request('gcode/script', { script: 'G4 P10000' });
  await p.nextRequest();
  conn.destroy();
  await assert.rejects(pending, (e: unknown) => e instanceof ServerError && e.kind === 'klippy_disconnected' && e.message === 'Klippy Disconnected');
  await closed;
  assert.equal(ks.isOpen, false);
  await assert.rejects(ks.request('info'), /Klippy Disconnected/);
  p.server.close();
});

test('a peer that never ends its frame is cut off rather than buffered without bound', async () => {
  const p = await peer();
  const ks = await KlippySocket.connect(p.path, { maxFrameBytes: 1024 });
  const conn = await p.conn;
  const closed = firstValueFrom(ks.closed$);
  conn.write(Buffer.alloc(4096, 0x61));
  await closed;
  assert.equal(ks.isOpen, false);
  p.server.close();
});
