// A Moonraker user's database comes along: a moonraker-sql.db built here with Moonraker's schema
// (namespace_store with its typed records, job_history, job_totals), the server started on that
// printer_data, and the UIs' namespaces, webcams and history read back through the API. The
// file must come out of it byte for byte unchanged, and the import must happen only once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { loadServerConfig, startServer, type RunningServer } from '../../src/server.js';
import { decodeRecord } from '../../src/db/moonrakerImport.js';
import { logSink } from '../../src/logger.js';
import type { J } from '../helpers/clientReplay.js';

logSink.console = process.env.MOONSTATE_TEST_LOG === '1';

/** Moonraker's record encoding, written from its documented format (type byte, then data). */
function record(v: unknown): Buffer {
  if (v === null) return Buffer.of(0);
  if (typeof v === 'boolean') return Buffer.of(0x3f, v ? 1 : 0);
  if (typeof v === 'number' && Number.isInteger(v)) {
    const b = Buffer.alloc(9);
    b[0] = 0x71;
    b.writeBigInt64LE(BigInt(v), 1);
    return b;
  }
  if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b[0] = 0x64;
    b.writeDoubleLE(v, 1);
    return b;
  }
  if (typeof v === 'string') return Buffer.concat([Buffer.of(0x73), Buffer.from(v, 'utf8')]);
  return Buffer.from(JSON.stringify(v), 'utf8');
}

const MAINSAIL = { general: { printername: 'Voron 2.4', language: 'de' }, dashboard: { nonExpandPanels: ['webcam'] } };

function buildMoonrakerDb(file: string): void {
  const db = new BetterSqlite3(file);
  db.exec(`
    CREATE TABLE table_registry (name TEXT NOT NULL PRIMARY KEY, prototype TEXT NOT NULL, version INT);
    CREATE TABLE namespace_store (namespace TEXT NOT NULL, key TEXT NOT NULL, value record NOT NULL, PRIMARY KEY (namespace, key));
    CREATE TABLE job_history (job_id INTEGER PRIMARY KEY ASC, user TEXT NOT NULL, filename TEXT, status TEXT NOT NULL,
      start_time REAL NOT NULL, end_time REAL, print_duration REAL NOT NULL, total_duration REAL NOT NULL,
      filament_used REAL NOT NULL, metadata pyjson, auxiliary_data pyjson NOT NULL, instance_id TEXT NOT NULL);
    CREATE TABLE job_totals (provider TEXT NOT NULL, field TEXT NOT NULL, maximum REAL, total REAL, instance_id TEXT NOT NULL,
      PRIMARY KEY (provider, field, instance_id));`);
  const put = db.prepare('INSERT INTO namespace_store VALUES (?, ?, ?)');
  for (const [k, v] of Object.entries(MAINSAIL)) put.run('mainsail', k, record(v));
  put.run('fluidd', 'uiSettings', record({ general: { instanceName: 'Trident' } }));
  put.run('fluidd', 'console.history', record(['G28', 'M105']));
  put.run('webcams', 'a1b2c3', record({ name: 'nozzle cam', stream_url: '/webcam/?action=stream', snapshot_url: '/webcam/?action=snapshot', service: 'mjpegstreamer' }));
  put.run('announcements', 'dismissed', record({ 'arksine/moonlight#1': { expires: 1 } }));
  put.run('klipperscreen', 'theme', record('z-bolt'));
  put.run('klipperscreen', 'font_size', record(16));
  put.run('klipperscreen', 'scale', record(1.25));
  put.run('klipperscreen', 'side_macro', record(true));
  put.run('klipperscreen', 'nothing', record(null));
  put.run('moonraker', 'database_version', record(2));
  put.run('gcode_metadata', 'old.gcode', record({ size: 1 }));
  const job = db.prepare('INSERT INTO job_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  job.run(1, '_TRUSTED_USER_', 'benchy.gcode', 'completed', 1700000000, 1700003600, 3300, 3600, 1234.5, JSON.stringify({ size: 100, slicer: 'PrusaSlicer' }), '[]', 'default');
  job.run(42, '_TRUSTED_USER_', 'cube.gcode', 'cancelled', 1700010000, 1700010100, 90, 100, 10, JSON.stringify({ size: 50 }), '[]', 'default');
  const total = db.prepare("INSERT INTO job_totals VALUES ('history', ?, ?, ?, 'default')");
  for (const [f, max, sum] of [['total_jobs', null, 2], ['total_time', null, 3700], ['total_print_time', null, 3390], ['total_filament_used', null, 1244.5], ['longest_job', 3600, null], ['longest_print', 3300, null]] as const) {
    total.run(f, max, sum);
  }
  db.close();
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function start(dataPath: string): Promise<RunningServer> {
  const text = `[server]\nhost: 127.0.0.1\nport: 0\nklippy_uds_address: ${join(dataPath, 'comms', 'klippy.sock')}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n`;
  return startServer({ config: loadServerConfig({ text, dataPath }).config, logToFile: false, unixSocketPath: false });
}

async function rpc(server: RunningServer, method: string, params: unknown = {}): Promise<{ result?: J; error?: { code: number; message: string } }> {
  const r = await fetch(`${server.url}/server/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await r.json()) as { result?: J };
}

test("Moonraker's record encoding decodes to the values it encoded", () => {
  for (const v of [0, -5, 2 ** 40, 1.5, true, false, 'é', null, [1, 'a'], { a: { b: null } }]) assert.deepEqual(decodeRecord(record(v)), v);
  assert.throws(() => decodeRecord(Buffer.of(0x7a, 1)), /unknown record type/);
});

test("the first start imports Moonraker's SQLite database read-only, once", async () => {
  const dataPath = mkdtempSync(join(tmpdir(), 'moonstate-import-'));
  try {
    const dbDir = join(dataPath, 'database');
    mkdirSync(dbDir, { recursive: true });
    const file = join(dbDir, 'moonraker-sql.db');
    buildMoonrakerDb(file);
    const before = { hash: sha(file), mtime: statSync(file).mtimeMs, files: readdirSync(dbDir).filter((f) => f.startsWith('moonraker')).sort() };

    let server = await start(dataPath);
    try {
      assert.deepEqual((await rpc(server, 'server.database.get_item', { namespace: 'mainsail' })).result.value, MAINSAIL);
      const fluidd = (await rpc(server, 'server.database.get_item', { namespace: 'fluidd' })).result.value;
      assert.deepEqual(fluidd['console.history'], ['G28', 'M105'], 'a dotted Moonraker key stays one key');
      assert.deepEqual((await rpc(server, 'server.database.get_item', { namespace: 'klipperscreen' })).result.value, {
        theme: 'z-bolt',
        font_size: 16,
        scale: 1.25,
        side_macro: true,
        nothing: null,
      });
      assert.ok((await rpc(server, 'server.database.get_item', { namespace: 'announcements' })).result.value.dismissed);
      const cams = (await rpc(server, 'server.webcams.list')).result.webcams as Array<{ name: string; uid: string }>;
      assert.ok(cams.some((c) => c.name === 'nozzle cam' && c.uid === 'a1b2c3'), JSON.stringify(cams));
      // Moonraker's internals and its metadata cache are not ours to take.
      assert.equal((await rpc(server, 'server.database.get_item', { namespace: 'gcode_metadata' })).error?.code, -32601, 'a missing namespace, as Moonraker codes it');
      assert.notEqual((await rpc(server, 'server.database.get_item', { namespace: 'moonraker', key: 'database_version' })).result?.value, 2);

      const history = (await rpc(server, 'server.history.list', { order: 'asc' })).result;
      assert.equal(history.count, 2);
      assert.deepEqual(history.jobs.map((j: { job_id: string; filename: string; status: string }) => [j.job_id, j.filename, j.status]), [
        ['000001', 'benchy.gcode', 'completed'],
        ['00002A', 'cube.gcode', 'cancelled'],
      ]);
      assert.equal(history.jobs[0].metadata.slicer, 'PrusaSlicer');
      const totals = (await rpc(server, 'server.history.totals')).result.job_totals;
      assert.deepEqual(totals, { total_jobs: 2, total_time: 3700, total_print_time: 3390, total_filament_used: 1244.5, longest_job: 3600, longest_print: 3300 });

      // The user changes a setting in the UI: a later start must not bring Moonraker's value back.
      await rpc(server, 'server.database.post_item', { namespace: 'mainsail', key: 'general.printername', value: 'renamed' });
    } finally {
      await server.close();
    }
    server = await start(dataPath);
    try {
      assert.equal((await rpc(server, 'server.database.get_item', { namespace: 'mainsail', key: 'general.printername' })).result.value, 'renamed');
      assert.equal((await rpc(server, 'server.history.list')).result.count, 2, 'history not imported twice');
    } finally {
      await server.close();
    }
    assert.equal(sha(file), before.hash, "Moonraker's file is unchanged");
    assert.equal(statSync(file).mtimeMs, before.mtime);
    assert.deepEqual(readdirSync(dbDir).filter((f) => f.startsWith('moonraker')).sort(), before.files, 'no journal or lock file left beside it');
  } finally {
    rmSync(dataPath, { recursive: true, force: true });
  }
});

test('a file that is not a Moonraker database is logged and skipped; the server starts', async () => {
  const dataPath = mkdtempSync(join(tmpdir(), 'moonstate-import-'));
  try {
    mkdirSync(join(dataPath, 'database'), { recursive: true });
    writeFileSync(join(dataPath, 'database', 'moonraker-sql.db'), 'this is not sqlite');
    const server = await start(dataPath);
    try {
      assert.ok(Array.isArray((await rpc(server, 'server.database.list')).result.namespaces));
    } finally {
      await server.close();
    }
    assert.equal(readFileSync(join(dataPath, 'database', 'moonraker-sql.db'), 'utf8'), 'this is not sqlite');
    assert.equal(existsSync(join(dataPath, 'database', 'moonraker-sql.db-journal')), false);
  } finally {
    rmSync(dataPath, { recursive: true, force: true });
  }
});
