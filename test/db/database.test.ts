import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Database } from '../../src/db/database.js';
import { ServerError } from '../../src/shared/errors.js';

const fresh = () => new Database(join(mkdtempSync(join(tmpdir(), 'db-')), 'database'));

test('items of any JSON type round-trip, nested keys read and write inside a record', async () => {
  const db = fresh();
  for (const v of [1, 'two', true, null, [1, { a: 2 }], { deep: { er: [3] } }]) {
    db.put('mainsail', 'value', v);
    assert.deepEqual(db.get('mainsail', 'value'), v);
  }
  db.put('mainsail', 'general.printername', 'Voron');
  db.put('mainsail', ['general', 'locale'], 'en');
  assert.deepEqual(db.get('mainsail', 'general'), { printername: 'Voron', locale: 'en' });
  assert.equal(db.get('mainsail', 'general.locale'), 'en');
  assert.deepEqual(db.namespaces(), ['mainsail']);
  assert.deepEqual(db.get('mainsail'), { value: { deep: { er: [3] } }, general: { printername: 'Voron', locale: 'en' } });
  await db.close();
});

test('missing namespaces and keys are 404 with Moonraker\'s wording; delete returns the old value', async () => {
  const db = fresh();
  assert.throws(() => db.get('fluidd'), (e: unknown) => e instanceof ServerError && e.kind === 'not_found' && e.message === 'Namespace fluidd not found');
  db.put('fluidd', 'uiSettings.theme', 'dark');
  assert.throws(() => db.get('fluidd', 'uiSettings.nope'), /Key 'uiSettings.nope' in namespace 'fluidd' not found/);
  assert.equal(db.delete('fluidd', 'uiSettings.theme'), 'dark');
  assert.deepEqual(db.get('fluidd', 'uiSettings'), {});
  assert.deepEqual(db.delete('fluidd', 'uiSettings'), {});
  assert.equal(db.hasNamespace('fluidd'), false);
  assert.throws(() => db.delete('fluidd', 'uiSettings'), (e: unknown) => e instanceof ServerError && e.kind === 'not_found');
  assert.throws(() => db.put('x', 'a..b', 1), /Invalid key/);
  await db.close();
});

test('a write committed before a crash survives it', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'db-')), 'database');
  // A child process writes, reports, and is killed without closing anything.
  const script = `
    import { Database } from ${JSON.stringify(new URL('../../src/db/database.ts', import.meta.url).pathname)};
    const db = new Database(${JSON.stringify(dir)});
    db.put('crash', 'committed', { n: 42 });
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  assert.equal(r.signal, 'SIGKILL');
  const db = new Database(dir);
  assert.deepEqual(db.get('crash', 'committed'), { n: 42 });
  await db.close();
});

test('restore refuses a non-database and a damaged one without touching the store or the process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-'));
  const db = new Database(join(dir, 'database'));
  db.put('keep', 'v', 'current');
  const { writeFileSync, readFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'text.mdb'), 'not a database at all, but long enough to have a header of sixty-four bytes');
  await assert.rejects(db.restore(join(dir, 'text.mdb')), /Not a database backup/);
  // A real backup with its pages overwritten: the header passes, opening it would crash lmdb.
  await db.backup(join(dir, 'good.mdb'));
  const bytes = readFileSync(join(dir, 'good.mdb'));
  bytes.fill(0xff, 200);
  writeFileSync(join(dir, 'damaged.mdb'), bytes);
  await assert.rejects(db.restore(join(dir, 'damaged.mdb')), /Not a database backup/);
  assert.equal(db.get('keep', 'v'), 'current');
  assert.deepEqual(await db.restore(join(dir, 'good.mdb')), ['keep']);
  await db.close();
});

test('compactions and backups at once, with reads and writes around them: one at a time, never a closed store', async () => {
  const db = fresh();
  for (let i = 0; i < 200; i++) db.put('ns', `k${i}`, { i, pad: 'x'.repeat(500) });
  const dir = mkdtempSync(join(tmpdir(), 'db-backup-'));
  const maintenance = Promise.all([db.compact(), db.compact(), db.backup(join(dir, 'a.db')), db.compact()]);
  // While they run, every call either works or is refused with a clear 503, never anything else.
  let done = false;
  void maintenance.finally(() => (done = true));
  while (!done) {
    try {
      db.put('ns', 'live', Date.now());
      db.get('ns', 'k1');
    } catch (e) {
      assert.ok(e instanceof ServerError && e.kind === 'unavailable', String(e));
    }
    await new Promise((r) => setImmediate(r));
  }
  await maintenance;
  assert.deepEqual(db.get('ns', 'k199'), { i: 199, pad: 'x'.repeat(500) });
  await db.close();
});

test('keys that are not strings, and names over LMDB\'s key limit, are 400', () => {
  const db = fresh();
  for (const key of [null, {}, [{}], 5, true] as unknown as string[]) {
    assert.throws(() => db.get('ns', key), (e: unknown) => e instanceof ServerError && e.kind === 'bad_request');
  }
  assert.throws(() => db.put('ns', 'k'.repeat(600), 1), (e: unknown) => e instanceof ServerError && e.kind === 'bad_request');
  assert.throws(() => db.get('n'.repeat(600)), (e: unknown) => e instanceof ServerError && e.kind === 'bad_request');
});

test('a damaged data file is moved aside at open, never mapped: empty, garbage, cut short', async () => {
  const { writeFileSync, readFileSync, readdirSync, truncateSync, statSync } = await import('node:fs');
  const damages: Array<[string, (f: string) => void]> = [
    ['empty', (f) => truncateSync(f, 0)],
    ['garbage', (f) => writeFileSync(f, Buffer.alloc(64 * 1024, 0x5a))],
    ['cut short', (f) => truncateSync(f, Math.floor(statSync(f).size / 2))],
    ['second meta page gone', (f) => truncateSync(f, 4096)],
    // LMDB itself crashed the process (SIGSEGV) on a format version it does not know.
    [
      'another LMDB format version',
      (f) => {
        const b = readFileSync(f);
        for (const page of [0, 4096]) b.writeUInt32LE(99, page + 28);
        writeFileSync(f, b);
      },
    ],
  ];
  for (const [name, damage] of damages) {
    const dir = join(mkdtempSync(join(tmpdir(), 'db-')), 'database');
    const db = new Database(dir);
    for (let i = 0; i < 30; i++) db.put('ns', `k${i}`, 'v'.repeat(10_000));
    await db.close();
    damage(join(dir, 'data.mdb'));
    const bytes = readFileSync(join(dir, 'data.mdb'));
    const reopened = new Database(dir);
    assert.equal(reopened.startupWarnings.length, 1, name);
    assert.match(reopened.startupWarnings[0]!, /could not be opened .* moved aside to database\/data\.mdb\.damaged-/, name);
    const aside = readdirSync(dir).filter((f) => f.startsWith('data.mdb.damaged-'));
    assert.deepEqual(readFileSync(join(dir, aside[0]!)), bytes, `${name}: kept byte for byte`);
    reopened.put('ns', 'fresh', 1);
    assert.deepEqual(reopened.keys('ns'), ['fresh']);
    await reopened.close();
    // A sound store is opened as it is, without warnings.
    const again = new Database(dir);
    assert.deepEqual(again.startupWarnings, [], name);
    await again.close();
  }
});

test('leftovers of a killed compaction or restore are removed at open; the store is untouched', async () => {
  const { mkdirSync, writeFileSync, existsSync } = await import('node:fs');
  const dir = join(mkdtempSync(join(tmpdir(), 'db-')), 'database');
  const db = new Database(dir);
  db.put('ns', 'k', 'kept');
  await db.close();
  mkdirSync(`${dir}-restore`);
  writeFileSync(join(`${dir}-restore`, 'data.mdb'), 'half a copy');
  writeFileSync(join(dir, 'data.mdb.compact'), 'half a compaction');
  const reopened = new Database(dir);
  assert.equal(existsSync(`${dir}-restore`), false);
  assert.equal(existsSync(join(dir, 'data.mdb.compact')), false);
  assert.equal(reopened.get('ns', 'k'), 'kept');
  await reopened.close();
});

test('after a crash, a file sound in shape but with garbage pages is found by a throwaway reader and kept aside', async () => {
  const { readFileSync, writeFileSync, readdirSync, rmSync: rm } = await import('node:fs');
  const dir = join(mkdtempSync(join(tmpdir(), 'db-')), 'database');
  const db = new Database(dir);
  for (let i = 0; i < 30; i++) db.put('ns', `k${i}`, 'v'.repeat(10_000));
  await db.close();
  // Both meta pages and the length intact: only reading the pages shows the damage.
  const bytes = readFileSync(join(dir, 'data.mdb'));
  bytes.fill(0xff, 2 * 4096);
  writeFileSync(join(dir, 'data.mdb'), bytes);
  // A clean close leaves a mark that spares the next start the full read; a crash leaves none.
  rm(join(dir, 'closed-cleanly'));
  const reopened = new Database(dir);
  assert.match(reopened.startupWarnings[0] ?? '', /could not be opened \(the file crashed the database reader|could not be opened \(the database reader could not read it/);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('data.mdb.damaged-')).length, 1);
  reopened.put('ns', 'fresh', 1);
  assert.deepEqual(reopened.keys('ns'), ['fresh']);
  await reopened.close();
});
