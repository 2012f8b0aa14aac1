import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handleJsonRpcText, type RpcCall } from '../../src/transport/jsonRpc.js';
import { MethodNotFound } from '../../src/transport/errorCodes.js';
import { unavailable } from '../../src/shared/errors.js';

const call = async ({ method, params }: RpcCall) => {
  if (method === 'echo') return params;
  if (method === 'fail') throw unavailable('Klippy Host not connected');
  if (method === 'bug') throw new Error('oops');
  throw new MethodNotFound(method);
};
const rpc = async (text: string) => {
  const r = await handleJsonRpcText(text, call);
  return r === undefined ? undefined : JSON.parse(r);
};

test('a request gets its result with the id echoed', async () => {
  assert.deepEqual(await rpc('{"jsonrpc":"2.0","method":"echo","params":{"a":1},"id":"x7"}'), {
    jsonrpc: '2.0',
    id: 'x7',
    result: { a: 1 },
  });
});

test('protocol errors use JSON-RPC codes; endpoint errors use the HTTP status', async () => {
  assert.equal((await rpc('{not json')).error.code, -32700);
  assert.equal((await rpc('{not json')).id, null);
  assert.equal((await rpc('"a string"')).error.code, -32600);
  assert.equal((await rpc('{"jsonrpc":"1.0","method":"echo","id":1}')).error.code, -32600);
  assert.equal((await rpc('{"jsonrpc":"2.0","method":5,"id":1}')).error.code, -32600);
  assert.equal((await rpc('{"jsonrpc":"2.0","method":"echo","id":{"x":1}}')).error.code, -32600);
  assert.equal((await rpc('{"jsonrpc":"2.0","method":"nope","id":1}')).error.code, -32601);
  assert.equal((await rpc('{"jsonrpc":"2.0","method":"echo","params":[1,2],"id":1}')).error.code, -32602);
  const failed = await rpc('{"jsonrpc":"2.0","method":"fail","id":2}');
  assert.deepEqual(failed.error, { code: 503, message: 'Klippy Host not connected' });
  assert.equal((await rpc('{"jsonrpc":"2.0","method":"bug","id":3}')).error.code, 500);
});

test('notifications (no id) are run but not answered', async () => {
  assert.equal(await rpc('{"jsonrpc":"2.0","method":"echo","params":{}}'), undefined);
  assert.equal(await rpc('{"jsonrpc":"2.0","method":"nope"}'), undefined);
});

test('batches answer every request in order, skip notifications, and reject an empty batch', async () => {
  const r = await rpc(
    '[{"jsonrpc":"2.0","method":"echo","params":{"n":1},"id":1},{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"nope","id":3},5]',
  );
  assert.equal(r.length, 3);
  assert.deepEqual(r[0], { jsonrpc: '2.0', id: 1, result: { n: 1 } });
  assert.equal(r[1].error.code, -32601);
  assert.equal(r[2].error.code, -32600);
  assert.equal((await rpc('[]')).error.code, -32600);
  assert.equal(await rpc('[{"jsonrpc":"2.0","method":"echo"}]'), undefined);
});

test('replies over the bound are 413 errors; a batch shares one budget; nothing unserialisable throws', async () => {
  const big = 'b'.repeat(1000);
  const calls = Array.from({ length: 5 }, (_, i) => ({ jsonrpc: '2.0', method: 'echo', params: { big }, id: i }));
  const text = await handleJsonRpcText(JSON.stringify(calls), call, 2500);
  const replies = JSON.parse(text!) as Array<{ id: number; result?: unknown; error?: { code: number; message: string } }>;
  assert.deepEqual(replies.map((r) => r.id), [0, 1, 2, 3, 4]);
  assert.equal(replies.filter((r) => r.result !== undefined).length, 2);
  for (const r of replies.slice(2)) assert.deepEqual(r.error, { code: 413, message: 'Reply too large: over the limit of 2500 bytes (ask for less at a time)' });
  const one = JSON.parse((await handleJsonRpcText(JSON.stringify(calls[0]), call, 500))!);
  assert.equal(one.error.code, 413);
  assert.equal(one.id, 0);
  // A result JSON cannot carry (a BigInt) is an error reply, not an exception.
  const odd = async () => ({ n: 1n });
  const bad = JSON.parse((await handleJsonRpcText('{"jsonrpc":"2.0","method":"x","id":9}', odd))!);
  assert.equal(bad.error.code, 500);
  assert.equal(bad.id, 9);
});
