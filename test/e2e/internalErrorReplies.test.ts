// A fault of ours (here: a file-system error nobody turned into a client error) is a 500 whose
// text says nothing of the server's disk: the full message, with its absolute paths, goes to the
// log only. Checked over HTTP and over the websocket, where the same handler runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError } from '../helpers/rpcClient.js';

let s: Stack;

before(async () => {
  s = await startStack({ klippyDown: true });
  // The backup folder is a plain file: listing backups meets ENOTDIR, naming the folder.
  const backupDir = join(s.dir, 'data', 'backup', 'database');
  rmSync(backupDir, { recursive: true, force: true });
  mkdirSync(join(s.dir, 'data', 'backup'), { recursive: true });
  writeFileSync(backupDir, 'not a folder');
});
after(() => s.close());

/** Any absolute path of this machine: the test's folder, or a path from the file system root. */
function assertNoServerPath(text: string): void {
  assert.ok(!text.includes(s.dir), `reply names the server's folder: ${text}`);
  assert.doesNotMatch(text, /(^|[\s'"(:=])\/(tmp|home|root|var|usr|etc|work|proc)\b/, `reply names an absolute path: ${text}`);
}

test('an internal error over HTTP is a 500 without server paths', async () => {
  const r = await s.http('GET', '/server/database/list');
  assert.equal(r.status, 500, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 500);
  assert.match(r.body.error.message, /Internal Server Error/);
  assertNoServerPath(JSON.stringify(r.body));
});

test('an internal error over the websocket is a 500 without server paths', async () => {
  const ws = await s.ws();
  const err = await ws.call('server.database.list').then(
    () => assert.fail('expected an error'),
    (e: unknown) => e as RpcError,
  );
  assert.ok(err instanceof RpcError, String(err));
  assert.equal(err.code, 500);
  assertNoServerPath(err.message);
});
