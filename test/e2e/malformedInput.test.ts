// Malformed websocket messages get error replies and never close the connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcClient } from '../helpers/rpcClient.js';

let s: Stack;
let ws: RpcClient;

before(async () => {
  s = await startStack();
  await s.waitReady();
  ws = await s.ws();
});
after(() => s.close());

test('garbage, wrong shapes and invalid UTF-8 get JSON-RPC errors and the connection survives', async () => {
  const cases: Array<[string | Buffer, number]> = [
    ['{not json', -32700],
    ['42', -32600],
    ['{"jsonrpc":"2.0","id":1}', -32600],
    ['{"jsonrpc":"2.0","method":"printer.info","params":"x","id":2}', -32602],
    [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), -32700],
    ['[]', -32600],
  ];
  for (const [text, code] of cases) {
    const reply = (await ws.sendRaw(text)) as { error: { code: number } };
    assert.equal(reply.error.code, code, `for ${String(text)}`);
  }
  assert.equal((await ws.call('printer.info')).state, 'ready');
});

test('binary frames carrying JSON-RPC are accepted like text', async () => {
  const reply = (await ws.sendRaw(Buffer.from('{"jsonrpc":"2.0","method":"printer.info","id":"bin"}'), true)) as { result: { state: string } };
  assert.equal(reply.result.state, 'ready');
});

test('a batch is answered as an array', async () => {
  const reply = (await ws.sendRaw('[{"jsonrpc":"2.0","method":"printer.info","id":"b1"},{"jsonrpc":"2.0","method":"nope","id":"b2"}]')) as Array<{ id: string }>;
  assert.deepEqual(reply.map((r) => r.id), ['b1', 'b2']);
});

test('the upgrade is refused on any other path', async () => {
  await assert.rejects(RpcClient.connect(s.url.replace(/^http/, 'ws') + '/notwebsocket'), /upgrade refused: 404/);
});

test('limits: a JSON body over max_http_body_size is 413, a header block over Node\'s limit 431, both with JSON errors', async () => {
  const big = await fetch(`${s.url}/server/database/item`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ namespace: 'x', key: 'y', value: 'z'.repeat(4096 * 1024) }),
  });
  assert.equal(big.status, 413);
  assert.deepEqual(await big.json(), { error: { code: 413, message: `Request body larger than ${4096 * 1024} bytes` } });
  const longUrl = await fetch(`${s.url}/printer/objects/query?toolhead=${'x'.repeat(20_000)}`);
  assert.equal(longUrl.status, 431);
  assert.equal(((await longUrl.json()) as { error: { code: number } }).error.code, 431);
  assert.equal((await ws.call('printer.info')).state, 'ready');
});

test('a JSON body in a charset the server does not read is 415 with a JSON error, and nothing is stored', async () => {
  const res = await fetch(`${s.url}/server/database/item`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=latin1' },
    body: JSON.stringify({ namespace: 'charset_probe', key: 'k', value: 'v' }),
  });
  assert.equal(res.status, 415);
  assert.equal(((await res.json()) as { error: { code: number } }).error.code, 415);
  assert.equal((await fetch(`${s.url}/server/database/item?namespace=charset_probe&key=k`)).status, 404);
});

test('limits: a websocket message over max_websocket_message_size closes that connection with 1009', async () => {
  const victim = await RpcClient.connect(s.url.replace(/^http/, 'ws') + '/websocket');
  const closed = new Promise<number>((resolve) => victim.ws.once('close', (code) => resolve(code)));
  victim.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'printer.info', params: { pad: 'x'.repeat(4096 * 1024) }, id: 1 }));
  assert.equal(await closed, 1009);
  // Only that connection.
  assert.equal((await ws.call('printer.info')).state, 'ready');
});
