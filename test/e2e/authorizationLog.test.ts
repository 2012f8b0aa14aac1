// Secrets never reach the log: a server at debug level (every request logged) is used with its
// key, a replaced key, tokens over HTTP and the websocket, and a spent token presented again;
// then its log file is read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startStack } from '../helpers/testStack.js';
import { logSink } from '../../src/logger.js';

test('neither the API key nor any token appears in the log', async (t) => {
  const logDir = mkdtempSync(join(tmpdir(), 'moonstate-log-'));
  t.after(() => rmSync(logDir, { recursive: true, force: true }));
  const logFile = join(logDir, 'moonstate.log');
  logSink.attachFile(logFile);
  const s = await startStack({ trustLoopback: false, klippyDown: true, extraConfig: 'enable_debug_logging: true\n' });
  const secrets: string[] = [];
  try {
    const keyFile = join(s.dir, 'data', '.moonstate_api_key');
    const key = readFileSync(keyFile, 'utf8').trim();
    secrets.push(key);
    const auth = { 'X-Api-Key': key };
    assert.equal((await s.http('GET', '/printer/info', undefined, auth)).status, 503);
    assert.equal((await s.http('GET', '/access/api_key', undefined, auth)).body.result, key);

    const token = (await s.http('GET', '/access/oneshot_token', undefined, auth)).body.result as string;
    secrets.push(token);
    assert.equal((await s.http('GET', `/printer/objects/query?toolhead&token=${token}`)).status, 503);
    assert.equal((await s.http('GET', `/printer/info?token=${token}`)).status, 401, 'spent');

    const wsToken = (await s.http('GET', '/access/oneshot_token', undefined, auth)).body.result as string;
    secrets.push(wsToken);
    const ws = new WebSocket(`${s.wsUrl}?token=${wsToken}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.close();

    const unused = (await s.http('GET', '/access/oneshot_token', undefined, auth)).body.result as string;
    secrets.push(unused);

    const next = (await s.http('POST', '/access/api_key', undefined, auth)).body.result as string;
    secrets.push(next);
    assert.equal((await s.http('GET', '/access/api_key', undefined, { 'X-Api-Key': next })).status, 200);
    assert.equal((await s.http('GET', '/access/api_key', undefined, auth)).status, 401);
  } finally {
    await s.close();
    await logSink.close();
  }
  const log = readFileSync(logFile, 'utf8');
  // The log did record these requests (so the test would see a leak).
  assert.match(log, /GET \/printer\/objects\/query\?toolhead&token=<redacted> from 127\.0\.0\.1: allowed \(oneshot_token\)/);
  assert.match(log, /GET \/printer\/info\?token=<redacted> from 127\.0\.0\.1: unauthorized/);
  assert.match(log, /websocket \/websocket\?token=<redacted> from 127\.0\.0\.1: allowed \(oneshot_token\)/);
  assert.match(log, /the API key was replaced/);
  assert.equal(secrets.length, 5);
  for (const secret of secrets) {
    assert.equal(log.includes(secret), false, 'a secret is in the log');
    // Not even the first half of one.
    assert.equal(log.includes(secret.slice(0, 16)), false, 'part of a secret is in the log');
  }
});
