// Error codes and texts as today's Moonraker answers them where clients tell failures apart:
// Fluidd and Mainsail create their namespace when server.database.get_item fails, and show the
// message of any other error. Texts from Moonraker's components/database.py; over JSON-RPC today's
// Moonraker sends a 404 as -32601 and a 401 as -32602 (common.py), the spec's server the status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError } from '../helpers/rpcClient.js';

let s: Stack;
before(async () => {
  s = await startStack({ klippyDown: true });
});
after(() => s.close());

async function rpcError(method: string, params: unknown, identified = false): Promise<{ code: number; message: string }> {
  const ws = await s.ws();
  if (identified) await ws.call('server.connection.identify', { client_name: 'mainsail', version: '2.18.2', type: 'web', url: 'x' });
  try {
    await ws.call(method, params);
  } catch (e) {
    assert.ok(e instanceof RpcError, String(e));
    return { code: e.code, message: e.message };
  }
  return assert.fail(`${method} succeeded`);
}

test('a missing namespace, a missing key, a missing key inside a record: 404 with Moonraker\'s texts', async () => {
  assert.deepEqual(await rpcError('server.database.get_item', { namespace: 'fluidd' }), { code: 404, message: 'Namespace fluidd not found' });
  const http = await s.http('GET', '/server/database/item?namespace=mainsail');
  assert.equal(http.status, 404);
  assert.deepEqual(http.body, { error: { code: 404, message: 'Namespace mainsail not found' } });
  assert.deepEqual(await rpcError('server.database.get_item', { namespace: 'fluidd', key: 'uiSettings.general' }), {
    code: 404,
    message: "Key 'uiSettings' in namespace 'fluidd' not found",
  });
  const ws = await s.ws();
  await ws.call('server.database.post_item', { namespace: 'fluidd', key: 'uiSettings', value: { a: 1 } });
  assert.deepEqual(await rpcError('server.database.get_item', { namespace: 'fluidd', key: 'uiSettings.general' }), {
    code: 404,
    message: "Key 'uiSettings.general' in namespace 'fluidd' not found",
  });
});

test("Moonraker's own namespaces: 403, protected for writing, `database` for reading too", async () => {
  assert.deepEqual(await rpcError('server.database.post_item', { namespace: 'moonraker', key: 'x', value: 1 }), {
    code: 403,
    message: "Write access to namespace 'moonraker' is forbidden",
  });
  assert.deepEqual(await rpcError('server.database.get_item', { namespace: 'database' }), {
    code: 403,
    message: "Read/Write access to namespace 'database' is forbidden",
  });
});

test("an identified client (today's dialect) gets -32601 for a 404, as from today's Moonraker; HTTP keeps the status", async () => {
  assert.deepEqual(await rpcError('server.database.get_item', { namespace: 'mainsail' }, true), { code: -32601, message: 'Namespace mainsail not found' });
  assert.deepEqual(await rpcError('server.database.post_item', { namespace: 'moonraker', key: 'x', value: 1 }, true), {
    code: 403,
    message: "Write access to namespace 'moonraker' is forbidden",
  });
  assert.equal((await s.http('GET', '/server/database/item?namespace=mainsail')).status, 404);
});
