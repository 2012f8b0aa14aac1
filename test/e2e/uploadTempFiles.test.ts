// The hidden temp files uploads are streamed into (`.moonstate-upload-*.part`), attacked: a
// server killed with SIGKILL mid-upload, a folder moved away (by a shell user or by the API)
// while an upload into it is in flight, and clients that try to make files of that name.
// Nothing may be left behind, and no reply may name a path on the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { eventually, multipart, rawRequest, upload } from '../helpers/fileClient.js';
import { ServerProcess } from '../helpers/serverProcess.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';
import { fileManager } from '../../src/components/file_manager/index.js';

let s: Stack;
let ws: RpcClient;
let gcodes: string;

before(async () => {
  s = await startStack();
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
  gcodes = s.gcodesPath;
  ws = await s.ws();
});
after(() => s.close());

/** Every temp file under `dir`, hidden folders included. */
function temps(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.moonstate-upload-')) out.push(join(dir, e.name));
    else if (e.isDirectory()) out.push(...temps(join(dir, e.name)));
  }
  return out;
}

/**
 * Starts an upload of `size` bytes into `path` and sends the first half only; resolves once the
 * temp file exists, with a function that sends the rest and resolves with the raw reply.
 */
async function halfUpload(baseUrl: string, root: string, path: string, filename: string, size = 256 * 1024): Promise<{ sock: Socket; finish: () => Promise<string> }> {
  const { body, contentType } = multipart([
    { name: 'path', value: path },
    { name: 'file', value: Buffer.alloc(size, 0x41), filename },
  ]);
  const url = new URL(baseUrl);
  const sock = connect(Number(url.port), url.hostname);
  let reply = '';
  sock.setEncoding('latin1');
  sock.on('data', (d: string) => (reply += d));
  sock.on('error', () => undefined);
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  sock.write(`POST /server/files/upload HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
  const half = Math.floor(body.length / 2);
  sock.write(body.subarray(0, half));
  await eventually(() => temps(root).length > 0, 5000, 'the temp file');
  return {
    sock,
    finish: async () => {
      sock.write(body.subarray(half)); // not end(): the server drops a half-closed socket
      await closed;
      return reply;
    },
  };
}

test('a folder moved by a shell user during an upload: 409 without server paths, nothing left', async () => {
  mkdirSync(join(gcodes, 'moving'));
  const up = await halfUpload(s.url, gcodes, 'moving', 'm.gcode');
  renameSync(join(gcodes, 'moving'), join(gcodes, 'moved'));
  const reply = await up.finish();
  assert.match(reply, /^HTTP\/1\.1 409 /, reply);
  assert.ok(!reply.includes(s.dir), reply);
  assert.deepEqual(temps(gcodes), []);
  assert.ok(!existsSync(join(gcodes, 'moving', 'm.gcode')) && !existsSync(join(gcodes, 'moved', 'm.gcode')));
});

test('a folder moved through the API, or deleted, during an upload: 409, nothing left', async () => {
  mkdirSync(join(gcodes, 'api-moving'));
  const up = await halfUpload(s.url, gcodes, 'api-moving', 'm.gcode');
  await ws.call('server.files.move', { source: 'gcodes/api-moving', dest: 'gcodes/api-moved' });
  const reply = await up.finish();
  assert.match(reply, /^HTTP\/1\.1 409 /, reply);
  assert.deepEqual(temps(gcodes), []);

  mkdirSync(join(gcodes, 'doomed'));
  const up2 = await halfUpload(s.url, gcodes, 'doomed', 'd.gcode');
  await ws.call('server.files.delete_directory', { path: 'gcodes/doomed', force: true });
  const reply2 = await up2.finish();
  assert.match(reply2, /^HTTP\/1\.1 (409|404) /, reply2);
  assert.ok(!reply2.includes(s.dir), reply2);
  assert.deepEqual(temps(gcodes), []);
});

test('a folder moved during an upload whose client then hangs up: the temp file goes too', async () => {
  mkdirSync(join(gcodes, 'fleeing'));
  const up = await halfUpload(s.url, gcodes, 'fleeing', 'f.gcode');
  renameSync(join(gcodes, 'fleeing'), join(gcodes, 'fled'));
  up.sock.destroy();
  await eventually(() => temps(gcodes).length === 0, 3000, 'the temp file in the moved folder removed');
});

const TEMP = '.moonstate-upload-0123456789abcdef.part';

test('a client may not make a file or folder named like our temp files: upload, create, move, copy (400)', async () => {
  writeFileSync(join(gcodes, 'plain.gcode'), 'G28\n');
  for (const args of [
    { filename: TEMP, content: 'G28\n' },
    { filename: 'x.gcode', path: TEMP, content: 'G28\n' },
    { filename: 'x.gcode', path: `sub/${TEMP}/deeper`, content: 'G28\n' },
  ]) {
    const r = await upload(s.url, args);
    assert.equal(r.status, 400, `${JSON.stringify(args)}: ${r.text}`);
  }
  for (const [method, params] of [
    ['server.files.post_directory', { path: `gcodes/${TEMP}` }],
    ['server.files.move', { source: 'gcodes/plain.gcode', dest: `gcodes/${TEMP}` }],
    ['server.files.copy', { source: 'gcodes/plain.gcode', dest: `gcodes/${TEMP}` }],
    ['server.files.delete_file', { path: `gcodes/${TEMP}` }],
  ] as const) {
    await assert.rejects(ws.call(method, params), (e: unknown) => e instanceof RpcError && e.code === 400, `${method} ${JSON.stringify(params)}`);
  }
  const dl = await rawRequest(s.url, 'GET', `/server/files/gcodes/${TEMP}`);
  assert.equal(dl.status, 400);
  assert.deepEqual(temps(gcodes), []);
  assert.ok(existsSync(join(gcodes, 'plain.gcode')));
});

test('temp files left by a server killed with SIGKILL mid-upload are removed at the next start, in every root', async () => {
  const data = mkdtempSync(join(tmpdir(), 'moonstate-killed-'));
  try {
    const sp = await ServerProcess.start(data);
    await sp.settle();
    const g = join(data, 'gcodes');
    mkdirSync(join(g, 'deep', 'er'), { recursive: true });
    const up = await halfUpload(sp.url, g, 'deep/er', 'k.gcode');
    sp.child.kill('SIGKILL');
    await new Promise((r) => sp.child.once('exit', r));
    up.sock.destroy();
    const left = temps(g);
    assert.equal(left.length, 1, 'the kill left the temp file');
    // Leftovers elsewhere too: in a hidden folder and in the config root.
    mkdirSync(join(g, '.thumbs'), { recursive: true });
    const old = new Date(Date.now() - 60_000);
    for (const p of [join(g, '.thumbs', TEMP), join(data, 'config', TEMP)]) {
      writeFileSync(p, 'partial');
      utimesSync(p, old, old);
    }
    const again = await ServerProcess.start(data);
    try {
      await again.settle();
      await eventually(() => temps(g).length === 0 && temps(join(data, 'config')).length === 0, 5000, 'the sweep');
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
