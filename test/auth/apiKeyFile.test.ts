// The API key file: created once with a random key (0600), the same key after a restart, and
// replaced atomically by a new key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyStore } from '../../src/components/authorization/apiKeyFile.js';
import { logSink } from '../../src/logger.js';

logSink.console = false;

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (p: string) => statSync(p).mode & 0o777;

test('the first start creates a random key readable by the owner only; a restart keeps it', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'sub', '.moonstate_api_key');
  const first = ApiKeyStore.openSync(path);
  assert.match(first.current, /^[0-9a-f]{32}$/);
  assert.equal(readFileSync(path, 'utf8').trim(), first.current);
  assert.equal(mode(path), 0o600);
  const again = ApiKeyStore.openSync(path);
  assert.equal(again.current, first.current);
  const otherDir = tempDir(t);
  assert.notEqual(ApiKeyStore.openSync(join(otherDir, 'k')).current, first.current);
});

test('an existing key file is used as it is, and restricted to its owner', (t) => {
  const path = join(tempDir(t), 'key');
  writeFileSync(path, '  my-own-key-from-moonraker\n');
  chmodSync(path, 0o644);
  assert.equal(ApiKeyStore.openSync(path).current, 'my-own-key-from-moonraker');
  assert.equal(mode(path), 0o600);
});

test('an empty key file gets a new key', (t) => {
  const path = join(tempDir(t), 'key');
  writeFileSync(path, '\n');
  const store = ApiKeyStore.openSync(path);
  assert.match(store.current, /^[0-9a-f]{32}$/);
  assert.equal(readFileSync(path, 'utf8').trim(), store.current);
});

test('a new key replaces the old one in memory and on disk, mode 0600, no temp file left', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'key');
  const store = ApiKeyStore.openSync(path);
  const old = store.current;
  const next = await store.rotate();
  assert.notEqual(next, old);
  assert.equal(store.current, next);
  assert.equal(readFileSync(path, 'utf8').trim(), next);
  assert.equal(mode(path), 0o600);
  assert.deepEqual(readdirSync(dir), ['key']);
  assert.equal(ApiKeyStore.openSync(path).current, next, 'the new key survives a restart');
});

test('concurrent replacements leave the file and the key in force agreeing', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'key');
  const store = ApiKeyStore.openSync(path);
  const keys = await Promise.all([store.rotate(), store.rotate(), store.rotate()]);
  assert.equal(new Set(keys).size, 3);
  assert.equal(store.current, keys[2]);
  assert.equal(readFileSync(path, 'utf8').trim(), store.current);
  assert.deepEqual(readdirSync(dir), ['key']);
});

test('a key file that cannot be written fails the replacement and keeps the old key', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'gone', 'key');
  const store = ApiKeyStore.openSync(path);
  const old = store.current;
  rmSync(join(dir, 'gone'), { recursive: true });
  await assert.rejects(store.rotate());
  assert.equal(store.current, old);
});
