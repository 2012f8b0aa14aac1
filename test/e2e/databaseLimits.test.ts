// What a client can make the database do that is not its business to make it do: store values
// nested thousands of levels deep (which overflowed the stack: a 500, or worse) and write on a
// full disk (a 500 where uploads say 507). Both are the client's or the disk's limit, answered
// as such, and the server goes on serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';
import { loadServerConfig, startServer } from '../../src/server.js';
import { MAX_CLIENT_JSON_DEPTH } from '../../src/transport/clientJson.js';
import { canMount } from '../helpers/tmpfs.js';

let s: Stack;
let ws: RpcClient;

before(async () => {
  s = await startStack({ klippyDown: true });
  ws = await s.ws();
});
after(() => s.close());

/** `[[[...]]]` or `{"a":{"a":...}}` as text: building it as an object and stringifying would overflow here. */
const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const nestedObjects = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

async function postRaw(body: string): Promise<{ status: number; json: { error?: { code: number; message: string } } }> {
  const res = await fetch(`${s.url}/server/database/item`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as { error?: { code: number; message: string } } };
}

test('values nested thousands of levels deep are 400 over HTTP and the websocket, alone or in a batch', async () => {
  for (const depth of [5000, 100_000]) {
    for (const value of [nestedArrays(depth), nestedObjects(depth)]) {
      const r = await postRaw(`{"namespace":"deep","key":"v","value":${value}}`);
      assert.equal(r.status, 400, `HTTP depth ${depth}`);
      assert.match(r.json.error!.message, /nested deeper than/);
      const one = (await ws.sendRaw(`{"jsonrpc":"2.0","method":"server.database.post_item","params":{"namespace":"deep","key":"v","value":${value}},"id":"d"}`)) as {
        error?: { code: number };
      };
      assert.equal(one.error?.code, 400, `websocket depth ${depth}`);
    }
  }
  // In a batch, only the deep call fails; its neighbours are answered.
  const batch = (await ws.sendRaw(
    `[{"jsonrpc":"2.0","method":"server.database.post_item","params":{"namespace":"deep","key":"v","value":${nestedArrays(5000)}},"id":"b1"},` +
      `{"jsonrpc":"2.0","method":"server.database.post_item","params":{"namespace":"deep","key":"ok","value":1},"id":"b2"}]`,
  )) as Array<{ id: string; error?: { code: number }; result?: unknown }>;
  assert.equal(batch.find((r) => r.id === 'b1')?.error?.code, 400);
  assert.ok(batch.find((r) => r.id === 'b2')?.result);
  // Nothing deep was stored; the server still answers.
  await assert.rejects(ws.call('server.database.get_item', { namespace: 'deep', key: 'v' }), (e: unknown) => e instanceof RpcError && e.code === 404);
  assert.equal((await s.http('GET', '/server/info')).status, 200);
});

test('a value exactly at the depth limit is stored and read back; one level more is refused', async () => {
  // The request body adds one level around the value.
  const atLimit = nestedObjects(MAX_CLIENT_JSON_DEPTH - 1);
  assert.equal((await postRaw(`{"namespace":"deep","key":"edge","value":${atLimit}}`)).status, 200);
  assert.deepEqual((await s.http('GET', '/server/database/item?namespace=deep&key=edge')).body.result.value, JSON.parse(atLimit));
  assert.equal((await postRaw(`{"namespace":"deep","key":"edge","value":${nestedObjects(MAX_CLIENT_JSON_DEPTH)}}`)).status, 400);
  const viaWs = await ws.call('server.database.post_item', { namespace: 'deep', key: 'edge2', value: JSON.parse(atLimit) });
  assert.ok(viaWs);
});

test('database writes on a full disk are 507, and the store works again once there is room', { skip: !canMount() && 'needs root to mount a small tmpfs' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-dbfull-'));
  const dbDir = join(dir, 'database');
  mkdirSync(dbDir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dbDir]);
  const text = `[server]\nhost: 127.0.0.1\nport: 0\nklippy_uds_address: ${join(dir, 'none.sock')}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n`;
  const server = await startServer({ config: loadServerConfig({ text, dataPath: dir }).config, logToFile: false });
  t.after(async () => {
    await server.close();
    execFileSync('umount', ['-l', dbDir]);
    rmSync(dir, { recursive: true, force: true });
  });
  const post = async (key: string, value: unknown) => {
    const res = await fetch(`${server.url}/server/database/item`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'fill', key, value }),
    });
    return { status: res.status, json: (await res.json()) as { error?: { code: number; message: string } } };
  };
  let full: Awaited<ReturnType<typeof post>> | undefined;
  for (let i = 0; i < 200 && !full; i++) {
    const r = await post(`k${i}`, 'x'.repeat(64 * 1024));
    if (r.status !== 200) full = r;
  }
  assert.ok(full, 'the disk filled up');
  assert.equal(full.status, 507);
  assert.deepEqual(full.json.error, { code: 507, message: 'Database write failed: no space left on the device' });
  // Reads go on; small writes may still fit; the process is alive.
  assert.equal((await fetch(`${server.url}/server/database/item?namespace=fill&key=k0`)).status, 200);
  // Room again: delete items (space LMDB reuses), then a write succeeds.
  for (let i = 0; i < 6; i++) await fetch(`${server.url}/server/database/item?namespace=fill&key=k${i}`, { method: 'DELETE' });
  assert.equal((await post('again', 'x'.repeat(1024))).status, 200);
});

