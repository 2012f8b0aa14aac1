// Issue 12, fault 3: one small message may not make the server build a reply it cannot hold.
// The attack: a 22 KiB websocket batch of 200 `server.database.get_item` calls for a 3 MiB item,
// whose joined reply (600 MiB) is past V8's longest string; JSON.stringify threw, the rejection
// went unhandled and the process exited. Run against the real `moonstate` command.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CliProcess } from '../helpers/cliProcess.js';
import { RpcClient } from '../helpers/rpcClient.js';
import { startStack } from '../helpers/testStack.js';

const MiB = 1024 * 1024;
let p: CliProcess;

before(async () => {
  p = await CliProcess.start();
});
after(() => p.stop());

/** Sends one raw message and resolves with the next message that is a JSON array (a batch reply). */
function batch(ws: WebSocket, text: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as unknown;
      if (Array.isArray(msg)) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', () => reject(new Error('websocket closed before the batch reply')));
    ws.send(text);
  });
}

test('a batch of 200 reads of a 3 MiB item is answered within the reply bound and the server lives', async () => {
  const ws = await RpcClient.connect(p.wsUrl);
  await ws.call('server.database.post_item', { namespace: 'attack', key: 'big', value: 'x'.repeat(3 * MiB) });
  const calls = Array.from({ length: 200 }, (_, i) => ({
    jsonrpc: '2.0',
    method: 'server.database.get_item',
    params: { namespace: 'attack', key: 'big' },
    id: i + 1,
  }));
  const text = JSON.stringify(calls);
  assert.ok(text.length < 24 * 1024, 'the attack is a small message');
  await ws.call('server.database.post_item', { namespace: 'attack', key: 'small', value: 1 });
  const other = await RpcClient.connect(p.wsUrl);
  const order: string[] = [];
  const batchDone = batch(ws.ws, text).then((r) => {
    order.push('batch');
    return r;
  });
  // Another client asks while the batch runs: it is answered in between, not after it.
  const otherDone = other.call('server.database.get_item', { namespace: 'attack', key: 'small' }).then(() => order.push('other'));
  const replies = (await batchDone) as Array<{ id: number; result?: { value: string }; error?: { code: number; message: string } }>;
  await otherDone;
  assert.deepEqual(order, ['other', 'batch']);
  await other.close();

  // Every call is answered, in order: those that fit within the bound (16 MiB, the default
  // websocket backlog) with the item, the rest with 413.
  assert.deepEqual(replies.map((r) => r.id), calls.map((c) => c.id));
  const ok = replies.filter((r) => r.result !== undefined);
  const refused = replies.filter((r) => r.error !== undefined);
  assert.ok(ok.length >= 1 && ok.length <= 5, `${ok.length} full replies`);
  assert.equal(ok[0]!.result!.value.length, 3 * MiB);
  assert.equal(ok.length + refused.length, 200);
  for (const r of refused) {
    assert.equal(r.error!.code, 413);
    assert.match(r.error!.message, /Reply too large/);
  }

  // The same connection and the process go on.
  assert.equal((await ws.call('printer.info')).state, 'ready');
  assert.equal(p.exited, undefined);
  await ws.close();
});

test('a single websocket reply over the bound is 413; HTTP holds to its own, larger bound', async () => {
  const ws = await RpcClient.connect(p.wsUrl);
  // Six 3 MiB items in one namespace: reading the namespace whole makes an 18 MiB reply.
  for (let i = 0; i < 6; i++) await ws.call('server.database.post_item', { namespace: 'wide', key: `k${i}`, value: 'y'.repeat(3 * MiB) });
  await assert.rejects(ws.call('server.database.get_item', { namespace: 'wide' }), (e: Error & { code?: number }) => e.code === 413);
  // Over HTTP the bound is max_reply_size (64 MiB by default): 18 MiB passes, a key of it too.
  const whole = await fetch(`${p.url}/server/database/item?namespace=wide`);
  assert.equal(whole.status, 200);
  assert.equal(Object.keys(((await whole.json()) as { result: { value: object } }).result.value).length, 6);
  assert.equal((await ws.call('printer.info')).state, 'ready');
  assert.equal(p.exited, undefined);
  await ws.close();
});

test('over HTTP a reply over max_reply_size is 413 with the JSON error body', async (t) => {
  const s = await startStack({ klippyDown: true, extraConfig: 'max_reply_size: 64\n' });
  t.after(() => s.close());
  assert.equal((await s.http('POST', '/server/database/item', { namespace: 'n', key: 'a', value: 'v'.repeat(40 * 1024) })).status, 200);
  assert.equal((await s.http('GET', '/server/database/item?namespace=n&key=a')).status, 200);
  assert.equal((await s.http('POST', '/server/database/item', { namespace: 'n', key: 'b', value: 'v'.repeat(40 * 1024) })).status, 200);
  const whole = await s.http('GET', '/server/database/item?namespace=n');
  assert.equal(whole.status, 413);
  assert.deepEqual(whole.body, { error: { code: 413, message: 'Reply too large: over the limit of 65536 bytes (ask for less at a time)' } });
  assert.equal((await s.http('GET', '/server/database/item?namespace=n&key=b')).status, 200);
});

test('the command logs an unhandled rejection or an uncaught exception and keeps running', () => {
  // The guards the command installs, in a process of their own so that a real unhandled
  // rejection and a real uncaught exception can be raised.
  const guards = join(import.meta.dirname, '../../src/processGuards.ts');
  const logger = join(import.meta.dirname, '../../src/logger.ts');
  const script = `
    const { installProcessGuards } = await import(${JSON.stringify(guards)});
    const { getLogger } = await import(${JSON.stringify(logger)});
    installProcessGuards(getLogger('test'));
    Promise.reject(new Error('nobody awaited me'));
    setTimeout(() => { throw new Error('thrown from a timer'); }, 10);
    setTimeout(() => { process.stdout.write('still alive'); }, 100);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'still alive');
  assert.match(r.stderr, /unhandled promise rejection.*nobody awaited me/);
  assert.match(r.stderr, /uncaught exception.*thrown from a timer/);
});
