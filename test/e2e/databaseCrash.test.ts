// The database against kill -9: a real server process is killed at points along a restore
// (while the backup is copied aside, while it is checked, while it takes the store's place, just
// after the reply) and started again on the same data. The store must be the old set or the
// restored one, whole; never empty, never a crash at start. An acknowledged write must survive
// the kill, and a damaged data file must not stop the server nor be thrown away.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess } from '../helpers/serverProcess.js';
import { Database } from '../../src/db/database.js';
import { moonstateDatabasePath } from '../../src/server.js';

const dirs: string[] = [];
const running = new Set<ServerProcess>();
after(async () => {
  for (const p of running) p.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'moonstate-dbcrash-'));
  dirs.push(d);
  return d;
}

/** No Klippy (the database needs none), loopback trusted: the child is the server and nothing else. */
async function start(data: string): Promise<ServerProcess> {
  const config = `klippy_uds_address: ${join(data, 'no-klippy.sock')}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n`;
  const p = await ServerProcess.start(data, { config });
  running.add(p);
  return p;
}

function kill(p: ServerProcess): Promise<void> {
  running.delete(p);
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGKILL');
  return exited;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(p: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(p.url + path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: await res.json() };
}

const BULK_ITEMS = 12;
const PAD = 'x'.repeat(1024 * 1024);

/**
 * A store big enough that a restore takes a while, a marker saying which set it is, and a
 * backup of the "new" set; written here, before the server first starts, to save a start.
 */
async function prepare(data: string): Promise<void> {
  const store = new Database(moonstateDatabasePath(data));
  for (let i = 0; i < BULK_ITEMS; i++) store.put('bulk', `k${i}`, `${i}${PAD}`);
  store.put('marker', 'set', 'new');
  mkdirSync(join(data, 'backup', 'database'), { recursive: true });
  await store.backup(join(data, 'backup', 'database', 'new.mdb'));
  store.put('marker', 'set', 'old');
  await store.close();
}

/** The store after a restart: which set it holds; every bulk item must be there either way. */
async function whichSet(p: ServerProcess): Promise<string> {
  const bulk = await call(p, 'GET', '/server/database/item?namespace=bulk');
  assert.equal(bulk.status, 200, 'the bulk namespace survived');
  assert.equal(Object.keys(bulk.json.result.value as object).length, BULK_ITEMS);
  const marker = await call(p, 'GET', '/server/database/item?namespace=marker&key=set');
  assert.equal(marker.status, 200);
  return marker.json.result.value as string;
}

/** Sends the restore request and resolves once it is fully on the wire (the reply is not awaited). */
function sendRestore(p: ServerProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${p.url}/server/database/restore`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined); // the server is about to be killed
    req.on('response', (res) => res.resume());
    req.end(JSON.stringify({ filename: 'new.mdb' }), () => resolve());
    req.on('error', reject);
  });
}

const fileSig = (f: string) => {
  try {
    const st = statSync(f);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'absent';
  }
};

test('kill -9 at every stage of a restore leaves the old store or the restored one, whole, and the server starts', async () => {
  const data = dataDir();
  const db = moonstateDatabasePath(data);
  const scratch = `${db}-restore`;
  await prepare(data);
  let p = await start(data);
  // Each point is a condition the test waits for (polling the files the server writes) before it kills.
  const points: Array<[string, () => boolean]> = [
    ['while the backup is copied aside', () => existsSync(join(scratch, 'data.mdb'))],
    ['while the live store is replaced', () => fileSig(join(db, 'data.mdb')) !== liveBefore],
    ['after the reply', () => false],
  ];
  let liveBefore = '';
  const seen = new Set<string>();
  let round = 0;
  for (const [name, ready] of points) {
    // An acknowledged write just before the kill must be there after it (durable commits).
    assert.equal((await call(p, 'POST', '/server/database/item', { namespace: 'durable', key: `round${round}`, value: round })).status, 200);
    liveBefore = fileSig(join(db, 'data.mdb'));
    await sendRestore(p);
    if (name === 'after the reply') {
      // Let the restore finish; the server still holds the store open when it is killed.
      while ((await call(p, 'GET', '/server/database/item?namespace=marker&key=set')).json.result?.value !== 'new') await new Promise((r) => setTimeout(r, 20));
    } else {
      // Busy-wait (the server is another process, so this blocks only the test) for the stage.
      const deadline = Date.now() + 10_000;
      while (!ready() && Date.now() < deadline) {
        /* poll */
      }
    }
    await kill(p);
    p = await start(data);
    const set = await whichSet(p);
    assert.ok(set === 'old' || set === 'new', `${name}: ${set}`);
    if (set === 'old') {
      const durable = await call(p, 'GET', `/server/database/item?namespace=durable&key=round${round}`);
      assert.equal(durable.json.result?.value, round, `${name}: the acknowledged write is there`);
    }
    round++;
    seen.add(set);
    assert.ok(!existsSync(scratch), `${name}: the half-made copy is cleaned up at start`);
    assert.deepEqual(readdirSync(db).filter((f) => f.includes('damaged')), [], `${name}: nothing had to be moved aside`);
    // Back to the old set for the next round.
    await call(p, 'POST', '/server/database/item', { namespace: 'marker', key: 'set', value: 'old' });
  }
  assert.ok(seen.has('new'), 'at least one restore completed');
  // A restore that is allowed to finish works, and the server that did it keeps serving.
  const done = await call(p, 'POST', '/server/database/restore', { filename: 'new.mdb' });
  assert.equal(done.status, 200);
  assert.deepEqual([...(done.json.result.restored_namespaces as string[])].sort(), ['bulk', 'marker']);
  assert.equal(await whichSet(p), 'new');
  await p.stop();
  running.delete(p);
});

test('a store torn at start: a clear warning, the file kept aside, the server up with an empty store', async () => {
  const data = dataDir();
  const store = new Database(moonstateDatabasePath(data));
  for (let i = 0; i < 40; i++) store.put('ns', `k${i}`, 'v'.repeat(20_000));
  await store.close();
  // What the old restore left when killed while copying over the live file: LMDB maps the file,
  // and every start died with SIGBUS on the first read past its end.
  const file = join(moonstateDatabasePath(data), 'data.mdb');
  truncateSync(file, Math.floor(statSync(file).size / 3));
  const damaged = readFileSync(file);
  const p = await start(data);
  const info = await call(p, 'GET', '/server/info');
  const warning = (info.json.result.warnings as string[]).find((w) => /database file could not be opened/.test(w));
  assert.ok(warning, 'server.info warns');
  assert.ok(!warning.includes(data), 'the warning names no absolute path');
  const aside = readdirSync(moonstateDatabasePath(data)).filter((f) => f.startsWith('data.mdb.damaged-'));
  assert.equal(aside.length, 1);
  assert.deepEqual(readFileSync(join(moonstateDatabasePath(data), aside[0]!)), damaged, 'the original bytes are kept');
  assert.equal((await call(p, 'POST', '/server/database/item', { namespace: 'ns', key: 'after', value: 1 })).status, 200);
  assert.equal((await call(p, 'GET', '/server/database/item?namespace=ns&key=after')).json.result.value, 1);
  await p.stop();
  running.delete(p);
});
