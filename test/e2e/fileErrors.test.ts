// File operations that the file system refuses, tried as a client would: a folder moved or
// copied into its own child through an in-root symlink alias, a file where a folder should be,
// symlink loops, names that exist already. Each must be a 4xx, and no reply, over HTTP or the
// websocket, may carry a path of the server (the temp data folder of the test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';
import { rawRequest, upload } from '../helpers/fileClient.js';
import { fileManager } from '../../src/components/file_manager/index.js';

let s: Stack;
let ws: RpcClient;
let gcodes: string;

before(async () => {
  s = await startStack();
  await s.waitReady();
  gcodes = s.gcodesPath;
  mkdirSync(join(gcodes, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(gcodes, 'tree', 'sub', 'a.gcode'), 'G28\n');
  symlinkSync(join(gcodes, 'tree'), join(gcodes, 'alias'));
  writeFileSync(join(gcodes, 'file.gcode'), 'G28\n');
  symlinkSync(join(gcodes, 'loop-a'), join(gcodes, 'loop-b'));
  symlinkSync(join(gcodes, 'loop-b'), join(gcodes, 'loop-a'));
  await s.server.kernel.lookup(fileManager).settled();
  ws = await s.ws();
});
after(() => s.close());

/** Each refused reply's status and text, to check for server paths at the end. */
const replies: Array<{ what: string; status: number; text: string }> = [];

async function rpcRefused(method: string, params: Record<string, unknown>): Promise<number> {
  try {
    await ws.call(method, params);
  } catch (e) {
    assert.ok(e instanceof RpcError, String(e));
    replies.push({ what: `${method} ${JSON.stringify(params)}`, status: e.code, text: e.message });
    return e.code;
  }
  assert.fail(`${method} ${JSON.stringify(params)} was accepted`);
}

async function httpRefused(method: string, path: string, body?: unknown): Promise<number> {
  const r = await rawRequest(s.url, method, path, body === undefined ? {} : { 'content-type': 'application/json' }, body === undefined ? undefined : JSON.stringify(body));
  replies.push({ what: `${method} ${path}`, status: r.status, text: r.text });
  assert.ok(r.status >= 400, `${method} ${path} was accepted: ${r.text}`);
  return r.status;
}

test('a folder moved or copied onto its own child through an in-root symlink alias is 400, and the tree is intact', async () => {
  for (const [source, dest] of [
    ['gcodes/tree', 'gcodes/alias/sub'],
    ['gcodes/tree', 'gcodes/alias/sub/new'],
    ['gcodes/tree', 'gcodes/alias'],
    ['gcodes/alias/sub', 'gcodes/tree/sub/deeper'],
  ]) {
    assert.equal(await rpcRefused('server.files.move', { source, dest }), 400, `move ${source} ${dest}`);
    assert.equal(await rpcRefused('server.files.copy', { source, dest }), 400, `copy ${source} ${dest}`);
    assert.equal(await httpRefused('POST', '/server/files/move', { source, dest }), 400);
    assert.equal(await httpRefused('POST', '/server/files/copy', { source, dest }), 400);
  }
  assert.equal(readFileSync(join(gcodes, 'tree', 'sub', 'a.gcode'), 'utf8'), 'G28\n');
  assert.ok(!existsSync(join(gcodes, 'tree', 'sub', 'tree')));
});

test('refusals from the file system are 4xx and name no server path', async () => {
  const statuses = [
    await rpcRefused('server.files.post_directory', { path: 'gcodes/file.gcode/x' }),
    await rpcRefused('server.files.post_directory', { path: 'gcodes/tree' }),
    await rpcRefused('server.files.delete_directory', { path: 'gcodes/tree' }),
    await rpcRefused('server.files.delete_directory', { path: 'gcodes/file.gcode' }),
    await rpcRefused('server.files.delete_file', { path: 'gcodes/nothing.gcode' }),
    await rpcRefused('server.files.move', { source: 'gcodes/nothing.gcode', dest: 'gcodes/x.gcode' }),
    await rpcRefused('server.files.move', { source: 'gcodes/tree', dest: 'gcodes/file.gcode' }),
    await rpcRefused('server.files.copy', { source: 'gcodes/tree', dest: 'gcodes/nowhere/at/all' }),
    await rpcRefused('server.files.move', { source: 'gcodes/file.gcode', dest: 'gcodes/file.gcode/x.gcode' }),
    await rpcRefused('server.files.get_directory', { path: 'gcodes/loop-a' }),
    await rpcRefused('server.files.get_directory', { path: 'gcodes/file.gcode' }),
    await rpcRefused('server.files.metadata', { filename: 'loop-a/x.gcode' }),
    await rpcRefused('server.files.metascan', { filename: 'tree' }),
    await httpRefused('GET', '/server/files/gcodes/loop-a'),
    await httpRefused('GET', '/server/files/gcodes/tree'),
    await httpRefused('DELETE', '/server/files/gcodes/tree'),
  ];
  for (const args of [
    { filename: 'x.gcode', path: 'file.gcode', content: 'G28\n' },
    { filename: 'x.gcode', path: 'file.gcode/deeper', content: 'G28\n' },
    { filename: 'tree', content: 'G28\n' },
    { filename: 'x.gcode', path: 'loop-a', content: 'G28\n' },
  ]) {
    const r = await upload(s.url, args);
    replies.push({ what: `upload ${JSON.stringify(args)}`, status: r.status, text: r.text });
    statuses.push(r.status);
  }
  const bad = replies.filter((r) => r.status >= 500 || r.status < 400);
  assert.deepEqual(bad, [], 'every refusal is a 4xx');
  assert.ok(statuses.length > 0);
});

test('no reply of the error tests carries a server path', () => {
  const secrets = [s.dir, realpathSync(s.dir), gcodes];
  const leaking = replies.filter((r) => secrets.some((p) => r.text.includes(p)));
  assert.deepEqual(leaking, []);
  assert.ok(replies.length > 20, `${replies.length} replies checked`);
});
