// Slow clients: an upload may take as long as it keeps sending (Node's 300 s cap on a whole
// request cut large uploads on slow links), but one that stops sending is ended, and leaves no
// temp file. The idle limit is shortened to a fraction of a second so this runs in seconds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { eventually, multipart } from '../helpers/fileClient.js';
import { fileManager } from '../../src/components/file_manager/index.js';

const IDLE_MS = 300;
let s: Stack;

before(async () => {
  s = await startStack({ bodyIdleTimeoutMs: IDLE_MS });
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
});
after(() => s.close());

const temps = () => readdirSync(s.gcodesPath).filter((n) => n.startsWith('.moonstate-upload-'));

/** Sends `body` in `pieces` with `gapMs` between them (and optionally stops after `stopAfter`); resolves with the raw reply. */
function dribble(body: Buffer, contentType: string, pieces: number, gapMs: number, stopAfter = pieces): Promise<string> {
  const url = new URL(s.url);
  return new Promise((resolve) => {
    const sock = connect(Number(url.port), url.hostname);
    let reply = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => (reply += d));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(reply));
    sock.write(`POST /server/files/upload HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    const size = Math.ceil(body.length / pieces);
    let i = 0;
    const next = () => {
      if (i >= stopAfter || sock.destroyed) return;
      sock.write(body.subarray(i * size, (i + 1) * size));
      i++;
      setTimeout(next, gapMs);
    };
    next();
  });
}

test('an upload that keeps sending, slowly, for many idle periods completes', async () => {
  const content = Buffer.alloc(64 * 1024, 0x47);
  const { body, contentType } = multipart([{ name: 'file', value: content, filename: 'slow.gcode' }]);
  // 16 pieces a third of the idle limit apart: ~1.6 s in all, over five idle periods.
  const reply = await dribble(body, contentType, 16, IDLE_MS / 3);
  assert.match(reply, /^HTTP\/1\.1 20[01] /, reply);
  assert.ok(readFileSync(join(s.gcodesPath, 'slow.gcode')).equals(content));
  assert.deepEqual(temps(), []);
});

test('an upload that stops sending is ended with 408 and leaves no temp file', async () => {
  const content = Buffer.alloc(64 * 1024, 0x48);
  const { body, contentType } = multipart([{ name: 'file', value: content, filename: 'stalled.gcode' }]);
  const reply = await dribble(body, contentType, 8, 20, 4);
  assert.match(reply, /^HTTP\/1\.1 408 /, reply);
  assert.ok(!reply.includes(s.dir), reply);
  await eventually(() => temps().length === 0, 3000, 'the temp file removed');
  assert.deepEqual(readdirSync(s.gcodesPath).filter((n) => n === 'stalled.gcode'), []);
  // The server is unharmed: the next upload lands.
  const next = multipart([{ name: 'file', value: 'G28\n', filename: 'after.gcode' }]);
  assert.match(await dribble(next.body, next.contentType, 1, 0), /^HTTP\/1\.1 20[01] /);
});
