// The metadata cache survives a restart: unchanged files are not parsed again, changed files
// are, and files deleted while the server was down are dropped from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, moonstateDatabasePath, startServer, type RunningServer } from '../../src/server.js';
import { VirtualKlippy } from '../../src/sim/virtualKlippy.js';
import { Database } from '../../src/db/database.js';
import { METADATA_NAMESPACE } from '../../src/fs/metadata/metadataStore.js';
import { eventually, upload } from '../helpers/fileClient.js';
import { sample } from '../helpers/gcodeSamples.js';
import '../helpers/testStack.js';
import { fileManager } from '../../src/components/file_manager/index.js';


let dir: string;
let data: string;
let gcodes: string;
let sim: VirtualKlippy;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moonstate-metacache-'));
  data = join(dir, 'data');
  gcodes = join(data, 'gcodes');
  sim = new VirtualKlippy({ socketPath: join(dir, 'klippy.sock'), gcodesPath: gcodes, startupDelayMs: 50, timeScale: 20 });
  await sim.start();
});
after(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningServer> {
  // The 2020 upload reply (200) is what this test reads.
  const text = `[server]\nhost: 127.0.0.1\nport: 0\napi_dialect: spec\nklippy_uds_address: ${join(dir, 'klippy.sock')}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n`;
  const server = await startServer({ config: loadServerConfig({ text, dataPath: data }).config, logToFile: false });
  await eventually(() => server.kernel.klippy.state === 'ready', 10_000, 'Klippy ready');
  await server.kernel.lookup(fileManager).settled();
  return server;
}

function withDb<T>(fn: (db: Database) => T): Promise<T> {
  const db = new Database(moonstateDatabasePath(data));
  try {
    return Promise.resolve(fn(db));
  } finally {
    void db.close();
  }
}

test('a restart reads the cache instead of parsing; a changed or deleted file is handled', async () => {
  let server = await start();
  assert.equal((await upload(server.url, { filename: 'a.gcode', content: readFileSync(sample('cura-5.9.1.gcode')) })).status, 200);
  writeFileSync(join(gcodes, 'b.gcode'), readFileSync(sample('kirimoto-3.0.gcode')));
  const meta = async (f: string) => (await fetch(`${server.url}/server/files/metadata?filename=${f}`)).json() as Promise<{ result: { slicer: string } }>;
  assert.equal((await meta('a.gcode')).result.slicer, 'Cura');
  assert.equal((await meta('b.gcode')).result.slicer, 'Kiri:Moto');
  await eventually(() => server.kernel.database.keys(METADATA_NAMESPACE).includes('b.gcode'), 5000, 'b cached');
  await server.close();

  // While it is down: mark a's cache entry (a parse would overwrite the mark) and delete b.
  await withDb((db) => {
    const rec = db.get(METADATA_NAMESPACE, ['a.gcode']) as Record<string, unknown>;
    db.put(METADATA_NAMESPACE, ['a.gcode'], { ...rec, slicer: 'FromTheCache' });
  });
  rmSync(join(gcodes, 'b.gcode'));

  server = await start();
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await meta('a.gcode')).result.slicer, 'FromTheCache', 'unchanged: not parsed again');
    await eventually(() => !server.kernel.database.keys(METADATA_NAMESPACE).includes('b.gcode'), 5000, 'b dropped from the cache');
    // A new mtime is a changed file: parsed again.
    utimesSync(join(gcodes, 'a.gcode'), new Date(), new Date(Date.now() + 5000));
    assert.equal((await meta('a.gcode')).result.slicer, 'Cura');
  } finally {
    await server.close();
  }
});
