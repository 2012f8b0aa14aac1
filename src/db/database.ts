// moonstate's embedded store: namespaces of JSON items, as Moonraker's database presents them
// (server.database.*), on LMDB. LMDB commits are atomic and synced before a write returns, so a
// crash mid-write loses nothing committed; lmdb-js ships prebuilt binaries for the Raspberry
// Pi's architectures inside its npm packages, so installing needs no compiler.
//
// Each top-level key of a namespace is one record; a dotted key (`a.b.c`) reads or writes inside
// that record's JSON value, in one transaction.
import { open, type Database as LmdbDatabase, type RootDatabase } from 'lmdb';
import { closeSync, copyFileSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiError } from '../transport/apiError.js';

export type ItemKey = string | string[];

/**
 * LMDB refuses keys over its limit (lmdb-js: 1978 bytes) with an exception; ours are a namespace
 * and a top-level key, each kept well below it so the error is a clear 400.
 */
const MAX_KEY_PART_BYTES = 512;

/** `key` comes from clients as any JSON value: only a string or a list of strings and numbers is a key. */
export function splitKey(key: ItemKey): string[] {
  const valid = typeof key === 'string' || (Array.isArray(key) && key.every((p) => typeof p === 'string' || typeof p === 'number'));
  const parts = !valid ? [] : Array.isArray(key) ? key.map(String) : key.split('.');
  if (parts.length === 0 || parts.some((p) => p === '' || Buffer.byteLength(p) > MAX_KEY_PART_BYTES)) {
    throw new ApiError(400, `Invalid key: ${JSON.stringify(key)?.slice(0, 100)}`);
  }
  return parts;
}

/** The namespace part of a key, checked like the key's parts. */
function checkNamespace(ns: string): string {
  if (Buffer.byteLength(ns) > MAX_KEY_PART_BYTES) throw new ApiError(400, `Namespace name longer than ${MAX_KEY_PART_BYTES} bytes`);
  return ns;
}

const keyText = (parts: string[]) => parts.join('.');

/**
 * LMDB's first meta page holds this magic number right after the page header, whose size
 * differs between LMDB versions (16 bytes in 0.9, 24 in the build lmdb-js ships).
 */
const LMDB_MAGIC = 0xbeefc0de;

function hasLmdbMagic(file: string): boolean {
  const buf = Buffer.alloc(64);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, buf, 0, 64, 0) < 64) return false;
  } finally {
    closeSync(fd);
  }
  return [16, 24, 32].some((offset) => buf.readUInt32LE(offset) === LMDB_MAGIC);
}

/**
 * Opens a candidate store in a throwaway process and lists its namespaces. lmdb's native code
 * can crash the whole process on a damaged file, and a restore must never take the server down.
 */
function probeNamespaces(dir: string): string[] {
  const lmdbUrl = import.meta.resolve('lmdb');
  const code = `
    const { open } = await import(${JSON.stringify(lmdbUrl)});
    const root = open({ path: ${JSON.stringify(dir)}, maxDbs: 8, encoding: 'json', readOnly: false });
    const items = root.openDB({ name: 'items', encoding: 'json' });
    const seen = new Set();
    // Reading every value, not just the keys, finds damaged data pages before we trust them.
    for (const { key } of items.getRange({})) if (Array.isArray(key)) seen.add(String(key[0]));
    process.stdout.write(JSON.stringify([...seen]));
    await root.close();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(r.signal ? `the file crashed the database reader (${r.signal})` : r.stderr.trim().split('\n').pop() ?? 'unreadable');
  return JSON.parse(r.stdout) as string[];
}
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Database {
  private root!: RootDatabase;
  /** [namespace, topKey] → value */
  private items!: LmdbDatabase<unknown, [string, string]>;

  /** Backups, compaction and restores, one at a time (see `exclusive`). */
  private maintenance: Promise<unknown> = Promise.resolve();
  /** Set while the LMDB environment is closed to be swapped for a compacted or restored one. */
  private swapping: Promise<void> | undefined;

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    this.openEnv();
  }

  /**
   * Every read and write goes through here. While the environment is closed for a swap (a few
   * milliseconds), callers get a clear 503 instead of touching a closed LMDB environment, which
   * throws at best and, in native code, can take the process down.
   */
  private get db(): LmdbDatabase<unknown, [string, string]> {
    if (this.swapping) throw new ApiError(503, 'The database is being compacted or restored; try again');
    return this.items;
  }

  /**
   * Runs one backup, compaction or restore at a time: a second one could close the environment
   * under the first one's copy, which crashed the process (found by the fuzz test).
   */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(job, job);
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  /** Closes the environment, lets `replace` change its file, and opens it again. */
  private async swap(replace: () => void): Promise<void> {
    let done!: () => void;
    this.swapping = new Promise((resolve) => (done = resolve));
    try {
      await this.root.close();
      replace();
    } finally {
      this.openEnv();
      this.swapping = undefined;
      done();
    }
  }

  private openEnv(): void {
    this.root = open({ path: this.path, maxDbs: 8, encoding: 'json' });
    this.items = this.root.openDB<unknown, [string, string]>({ name: 'items', encoding: 'json' });
  }

  /** LMDB keeps everything in one file in the database folder. */
  private get dataFile(): string {
    return join(this.path, 'data.mdb');
  }

  get sizeBytes(): number {
    return statSync(this.dataFile).size;
  }

  namespaces(): string[] {
    const out: string[] = [];
    let last: string | undefined;
    for (const [ns] of this.db.getKeys()) {
      if (ns !== last) out.push(ns);
      last = ns;
    }
    return out;
  }

  hasNamespace(ns: string): boolean {
    checkNamespace(ns);
    for (const _ of this.db.getKeys({ start: [ns, ''], end: [ns, '\uffff'], limit: 1 })) return true;
    return false;
  }

  /** The whole namespace as an object of its top-level keys. */
  namespace(ns: string): Record<string, unknown> {
    checkNamespace(ns);
    const out: Record<string, unknown> = {};
    for (const { key, value } of this.db.getRange({ start: [ns, ''], end: [ns, '\uffff'] })) out[key[1]] = value;
    return out;
  }

  /** Reads a namespace (no key) or one item; 404 when absent, with Moonraker's wording. */
  get(ns: string, key?: ItemKey): unknown {
    checkNamespace(ns);
    if (key === undefined) {
      if (!this.hasNamespace(ns)) throw new ApiError(404, `Namespace ${ns} not found`); // Moonraker's exact text
      return this.namespace(ns);
    }
    const parts = splitKey(key);
    let value: unknown = this.db.get([ns, parts[0]!]);
    // Moonraker names the top-level key when that record is missing, the whole key when a part inside it is.
    if (value === undefined) throw new ApiError(404, `Key '${parts[0]!}' in namespace '${ns}' not found`);
    for (const p of parts.slice(1)) {
      value = isRecord(value) ? value[p] : undefined;
    }
    if (value === undefined) throw new ApiError(404, `Key '${keyText(parts)}' in namespace '${ns}' not found`);
    return value;
  }

  /** Writes one item, creating intermediate objects for a dotted key. Returns the value stored. */
  put(ns: string, key: ItemKey, value: unknown): unknown {
    checkNamespace(ns);
    if (value === undefined) throw new ApiError(400, 'A value is required');
    const parts = splitKey(key);
    this.db.transactionSync(() => {
      const top = parts[0]!;
      if (parts.length === 1) {
        this.db.putSync([ns, top], value);
        return;
      }
      const current = this.db.get([ns, top]);
      const record = isRecord(current) ? structuredClone(current) : {};
      let cursor = record;
      for (const p of parts.slice(1, -1)) {
        if (!isRecord(cursor[p])) cursor[p] = {};
        cursor = cursor[p] as Record<string, unknown>;
      }
      cursor[parts.at(-1)!] = value;
      this.db.putSync([ns, top], record);
    });
    return value;
  }

  /** Removes one item (or a nested key inside one) and returns what was there. */
  delete(ns: string, key: ItemKey): unknown {
    checkNamespace(ns);
    const parts = splitKey(key);
    return this.db.transactionSync(() => {
      const top = parts[0]!;
      const current = this.db.get([ns, top]);
      if (parts.length === 1) {
        if (current === undefined) throw new ApiError(404, `Key '${keyText(parts)}' in namespace '${ns}' not found`);
        this.db.removeSync([ns, top]);
        return current;
      }
      const record = isRecord(current) ? structuredClone(current) : undefined;
      let cursor: Record<string, unknown> | undefined = record;
      for (const p of parts.slice(1, -1)) cursor = cursor && isRecord(cursor[p]) ? (cursor[p]) : undefined;
      const last = parts.at(-1)!;
      if (!cursor || !(last in cursor)) throw new ApiError(404, `Key '${keyText(parts)}' in namespace '${ns}' not found`);
      const removed = cursor[last];
      delete cursor[last];
      this.db.putSync([ns, top], record);
      return removed;
    });
  }

  /** Removes every item of a namespace. */
  clearNamespace(ns: string): void {
    checkNamespace(ns);
    this.db.transactionSync(() => {
      for (const key of this.db.getKeys({ start: [ns, ''], end: [ns, '\uffff'] })) this.db.removeSync(key);
    });
  }

  /**
   * A consistent, compacted copy of the whole store in one file at `file`. LMDB copies into a
   * folder (our store is a folder), so the copy is made in a scratch folder and moved.
   */
  backup(file: string): Promise<void> {
    return this.exclusive(() => this.backupNow(file));
  }

  private async backupNow(file: string): Promise<void> {
    const scratch = `${file}.partial`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    try {
      await this.root.backup(scratch, true);
      renameSync(join(scratch, 'data.mdb'), file);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Rewrites the store without free pages; returns the sizes before and after. */
  compact(): Promise<{ previous_size: number; new_size: number }> {
    return this.exclusive(async () => {
      const previous = this.sizeBytes;
      const tmp = join(this.path, 'data.mdb.compact');
      await this.backupNow(tmp);
      await this.swap(() => renameSync(tmp, this.dataFile));
      return { previous_size: previous, new_size: this.sizeBytes };
    });
  }

  /**
   * Replaces the whole store with a backup made by `backup`. The backup is opened first, in a
   * scratch folder, so a file that is not a database is refused before anything is replaced.
   */
  restore(backupFile: string): Promise<string[]> {
    return this.exclusive(() => this.restoreNow(backupFile));
  }

  private async restoreNow(backupFile: string): Promise<string[]> {
    // No extension: lmdb-js would read "x.restore" as a single-file store, not a folder.
    const scratch = `${this.path}-restore`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    try {
      if (!hasLmdbMagic(backupFile)) throw new Error('no LMDB header');
      copyFileSync(backupFile, join(scratch, 'data.mdb'));
      const namespaces = probeNamespaces(scratch);
      // A damaged file can open as an empty store; restoring it would silently wipe everything.
      if (namespaces.length === 0) throw new Error('it holds no data');
      await this.swap(() => {
        copyFileSync(join(scratch, 'data.mdb'), this.dataFile);
        rmSync(join(this.path, 'lock.mdb'), { force: true });
      });
      return namespaces;
    } catch (err) {
      throw new ApiError(400, `Not a database backup: ${(err as Error).message}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** The top-level keys of a namespace, without reading their values. */
  keys(ns: string): string[] {
    checkNamespace(ns);
    const out: string[] = [];
    for (const key of this.db.getKeys({ start: [ns, ''], end: [ns, '\uffff'] })) out.push(key[1]);
    return out;
  }

  /**
   * Writes one top-level item without blocking: LMDB batches asynchronous writes and commits
   * them off the event loop (for bulk writers such as the metadata cache).
   */
  async putAsync(ns: string, topKey: string, value: unknown): Promise<void> {
    await this.swapping;
    await this.db.put([ns, topKey], value);
  }

  /** Removes one top-level item without blocking; absent items are no error. */
  async removeAsync(ns: string, topKey: string): Promise<void> {
    await this.swapping;
    await this.db.remove([ns, topKey]);
  }

  close(): Promise<void> {
    return this.root.close();
  }
}
