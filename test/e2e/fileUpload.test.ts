// Uploads end to end: checksums, the size limit, malformed bodies, a client that hangs up
// half way, a full disk, and print=true. Whatever goes wrong, neither the file nor a temp file
// may be left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import type { RpcClient } from '../helpers/rpcClient.js';
import { eventually, multipart, rawRequest, upload } from '../helpers/fileClient.js';
import { canMount } from '../helpers/tmpfs.js';
import { fileManager } from '../../src/components/file_manager/index.js';

let s: Stack;
let ws: RpcClient;
let gcodes: string;
let configDir: string;

const MiB = 1024 * 1024;

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'moonstate-config-'));
  s = await startStack({ extraConfig: `max_upload_size: 2\n[file_manager]\nconfig_path: ${configDir}\n[octoprint_compat]\n` });
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
  gcodes = s.gcodesPath;
  ws = await s.ws();
});
after(async () => {
  await s.close();
  rmSync(configDir, { recursive: true, force: true });
});

function leftovers(dir = gcodes): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.moonstate-upload-')) out.push(join(dir, e.name));
    if (e.isDirectory()) out.push(...leftovers(join(dir, e.name)));
  }
  return out;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

test('an upload with the right sha256 checksum lands, whether the field comes before or after the file', async () => {
  const content = randomBytes(300_000);
  const first = await upload(s.url, { filename: 'sum1.gcode', content, checksum: sha256(content) });
  assert.deepEqual(first.json, { result: 'sum1.gcode', print_started: false });
  const last = await upload(s.url, { filename: 'sum2.gcode', content, checksum: sha256(content).toUpperCase(), fieldsLast: true });
  assert.equal(last.status, 200);
  assert.ok(readFileSync(join(gcodes, 'sum1.gcode')).equals(content));
  assert.ok(readFileSync(join(gcodes, 'sum2.gcode')).equals(content));
  assert.deepEqual(leftovers(), []);
});

test('a checksum mismatch is 422 with both sums, and leaves nothing', async () => {
  const content = 'G28\nG1 X10\n';
  const wrong = sha256('something else');
  for (const fieldsLast of [false, true]) {
    const r = await upload(s.url, { filename: 'bad.gcode', content, checksum: wrong, fieldsLast });
    assert.equal(r.status, 422);
    assert.equal(r.json.error.message, `File checksum mismatch: expected ${wrong}, calculated ${sha256(content)}`);
  }
  assert.ok(!existsSync(join(gcodes, 'bad.gcode')));
  assert.deepEqual(leftovers(), []);
});

test('the size limit ([server] max_upload_size) is 413, declared or discovered mid-stream', async () => {
  const big = randomBytes(3 * MiB);
  const declared = await upload(s.url, { filename: 'big.gcode', content: big });
  assert.equal(declared.status, 413);
  assert.match(declared.json.error.message, /max_upload_size/);
  // Chunked: no Content-Length, so the limit is found while streaming.
  const { body, contentType } = multipart([{ name: 'file', value: big, filename: 'big2.gcode' }]);
  const chunked = await rawRequest(s.url, 'POST', '/server/files/upload', { 'content-type': contentType, 'transfer-encoding': 'chunked' }, body);
  assert.equal(chunked.status, 413);
  assert.ok(!existsSync(join(gcodes, 'big.gcode')) && !existsSync(join(gcodes, 'big2.gcode')));
  await eventually(() => leftovers().length === 0, 2000, 'temp files removed');
  // Just under the limit is fine.
  const fits = randomBytes(2 * MiB - 4096);
  assert.equal((await upload(s.url, { filename: 'fits.gcode', content: fits })).status, 200);
  assert.ok(readFileSync(join(gcodes, 'fits.gcode')).equals(fits));
});

test("OctoPrint's upload path (/api/files/local) is the same upload: it lands, and an oversized one is refused unread", async () => {
  const content = randomBytes(100_000);
  const ok = multipart([{ name: 'path', value: 'slicer' }, { name: 'file', value: content, filename: 'from-slicer.gcode' }]);
  const landed = await rawRequest(s.url, 'POST', '/api/files/local', { 'content-type': ok.contentType, 'content-length': ok.body.length }, ok.body);
  assert.equal(landed.status, 200, landed.text);
  assert.deepEqual(landed.json, { result: 'slicer/from-slicer.gcode', print_started: false });
  assert.ok(readFileSync(join(gcodes, 'slicer', 'from-slicer.gcode')).equals(content));
  // Refused on its declared length before a byte is read: the connection is not kept for the rest.
  const big = multipart([{ name: 'file', value: randomBytes(3 * MiB), filename: 'too-big.gcode' }]);
  const refused = await rawRequest(s.url, 'POST', '/api/files/local', { 'content-type': big.contentType, 'content-length': big.body.length }, big.body);
  assert.equal(refused.status, 413);
  assert.equal(refused.headers.connection, 'close');
  assert.match(refused.json.error.message, /max_upload_size/);
  assert.ok(!existsSync(join(gcodes, 'too-big.gcode')));
  assert.deepEqual(leftovers(), []);
});

test('malformed uploads are 400 with a reason: not multipart, garbage, truncated, no file, no filename', async () => {
  const notMultipart = await rawRequest(s.url, 'POST', '/server/files/upload', { 'content-type': 'application/json' }, '{"file": 1}');
  assert.equal(notMultipart.status, 400);
  assert.match(notMultipart.json.error.message, /multipart/);
  // A small body refused at sight is read and dropped: the client keeps its connection.
  assert.notEqual(notMultipart.headers.connection, 'close');
  const garbage = await rawRequest(s.url, 'POST', '/server/files/upload', { 'content-type': 'multipart/form-data; boundary=xyz' }, 'this is not multipart at all');
  assert.equal(garbage.status, 400);
  const { body, contentType } = multipart([{ name: 'file', value: 'G28\n'.repeat(1000), filename: 'trunc.gcode' }]);
  const truncated = await rawRequest(s.url, 'POST', '/server/files/upload', { 'content-type': contentType }, body.subarray(0, body.length - 30));
  assert.equal(truncated.status, 400);
  const noFile = multipart([{ name: 'root', value: 'gcodes' }]);
  const nf = await rawRequest(s.url, 'POST', '/server/files/upload', { 'content-type': noFile.contentType }, noFile.body);
  assert.equal(nf.status, 400);
  assert.match(nf.json.error.message, /no file part/);
  const noName = await upload(s.url, { filename: null, content: 'G28\n' });
  assert.equal(noName.status, 400);
  assert.equal(noName.json.error.message, 'Multipart filename omitted');
  const emptyName = await upload(s.url, { filename: '', content: 'G28\n' });
  assert.equal(emptyName.status, 400);
  assert.ok(!existsSync(join(gcodes, 'trunc.gcode')));
  assert.deepEqual(leftovers(), []);
});

test('a client that hangs up half way through leaves no file and no temp file', async () => {
  const content = randomBytes(1 * MiB);
  const { body, contentType } = multipart([
    { name: 'path', value: 'halfway' },
    { name: 'file', value: content, filename: 'half.gcode' },
  ]);
  mkdirSync(join(gcodes, 'halfway'), { recursive: true });
  const url = new URL(s.url);
  await new Promise<void>((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname, () => {
      sock.write(`POST /server/files/upload HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`);
      sock.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => sock.destroy(), 100));
    });
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
  await eventually(() => leftovers().length === 0, 3000, 'temp file removed');
  assert.ok(!existsSync(join(gcodes, 'halfway', 'half.gcode')));
  // The server is unharmed.
  assert.equal((await upload(s.url, { filename: 'after.gcode', content: 'G28\n' })).status, 200);
});

test('a full disk is 507 and leaves nothing', { skip: !canMount() && 'needs root to mount a small tmpfs' }, async () => {
  const small = join(gcodes, 'small');
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', small]);
  try {
    const r = await upload(s.url, { filename: 'huge.gcode', path: 'small', content: randomBytes(1 * MiB) });
    assert.equal(r.status, 507);
    assert.match(r.json.error.message, /no space left/);
    assert.deepEqual(readdirSync(small), []);
    const ok = await upload(s.url, { filename: 'tiny.gcode', path: 'small', content: 'G28\n' });
    assert.equal(ok.status, 200, 'the disk has room again');
  } finally {
    // Lazy: the watcher or the metadata worker may still hold the folder for a moment.
    execFileSync('umount', ['-l', small]);
  }
});


test('config uploads answer {result} only; overwriting replaces the content and is announced', async () => {
  const since = ws.notifications.length;
  const r = await upload(s.url, { filename: 'printer.cfg', root: 'config', content: '[printer]\n' });
  assert.deepEqual(r.json, { result: 'printer.cfg' });
  const again = await upload(s.url, { filename: 'printer.cfg', root: 'CONFIG', content: '[printer]\nkinematics: none\n' });
  assert.equal(again.status, 200, 'the root field is case-insensitive');
  assert.equal(readFileSync(join(configDir, 'printer.cfg'), 'utf8'), '[printer]\nkinematics: none\n');
  await ws.waitFor('notify_filelist_changed', (p) => (p?.[0] as { item: { root: string } }).item.root === 'config', 5000, since);
  const notes = ws.notifications.slice(since).filter((n) => n.method === 'notify_filelist_changed' && (n.params?.[0] as { item: { root: string } }).item.root === 'config');
  assert.equal(notes.length, 2);
  // A Windows client's path in the filename keeps only the name.
  const win = await upload(s.url, { filename: 'C:\\Users\\me\\part.gcode', content: 'G28\n' });
  assert.deepEqual(win.json, { result: 'part.gcode', print_started: false });
  // Subfolders named in the filename must exist; those in the path field are created.
  const missing = await upload(s.url, { filename: 'nosuchdir/x.gcode', content: 'G28\n' });
  assert.equal(missing.status, 404);
  assert.deepEqual(leftovers(), []);
});

test('print=true: started when Klippy is ready and idle, not when it is not; the upload lands either way', async () => {
  const idle = await upload(s.url, { filename: 'p1.gcode', content: 'G28\n', print: 'true' });
  assert.deepEqual(idle.json, { result: 'p1.gcode', print_started: true });
  await eventually(() => s.server.kernel.subscriptions.current('print_stats')?.state === 'complete', 5000, 'the short print to end');
  const notAsked = await upload(s.url, { filename: 'p2.gcode', content: 'G28\n', print: 'false' });
  assert.deepEqual(notAsked.json, { result: 'p2.gcode', print_started: false });
  await s.sim.stop();
  await s.waitState('disconnected');
  const down = await upload(s.url, { filename: 'p3.gcode', content: 'G28\n', print: 'true' });
  assert.deepEqual(down.json, { result: 'p3.gcode', print_started: false });
  assert.ok(existsSync(join(gcodes, 'p3.gcode')));
});

test('a 64 MiB upload arrives byte for byte', async () => {
  // This stack's limit is 2 MiB; a second stack with the default limit.
  const big = await startStack({});
  try {
    await big.waitReady();
    await big.server.kernel.lookup(fileManager).settled();
    const content = randomBytes(64 * MiB);
    const r = await upload(big.url, { filename: 'big.gcode', content, checksum: sha256(content) });
    assert.equal(r.status, 200);
    assert.equal(sha256(readFileSync(join(big.gcodesPath, 'big.gcode'))), sha256(content));
  } finally {
    await big.close();
  }
});
