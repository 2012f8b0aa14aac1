// moonstate's embedded store: namespaces of JSON items, as Moonraker's database presents them
// (server.database.*), on LMDB. LMDB commits are atomic and synced before a write returns, so a
// crash mid-write loses nothing committed; lmdb-js ships prebuilt binaries for the Raspberry
// Pi's architectures inside its npm packages, so installing needs no compiler.
//
// Each top-level key of a namespace is one record; a dotted key (`a.b.c`) reads or writes inside
// that record's JSON value, in one transaction.
import { open, type Database as LmdbDatabase, type RootDatabase } from 'lmdb';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { badRequest, notFound, unavailable, insufficientStorage, internalError, clientFsError, ServerError } from '../shared/errors.js';
import { isPrototypeName } from '../shared/prototypeNames.js';
import { durableReplace, probeNamespaces, probeProblemSync, storeFileProblem } from './storeFile.js';
import { getLogger } from '../logger.js';

const log = getLogger('database');

export type ItemKey = string | string[];

/**
 * LMDB refuses keys over its limit (lmdb-js: 1978 bytes) with an exception; ours are a namespace
 * and a top-level key, each kept well below it so the error is a clear 400.
 */
const MAX_KEY_PART_BYTES = 512;

/**
 * `key` comes from clients as any JSON value: only a string or a list of strings and numbers is a
 * key. Its parts become property names inside a stored record, so the names that lead to a
 * prototype (`a.__proto__.x` would write into Object.prototype for the whole process) are refused.
 */
export function splitKey(key: ItemKey): string[] {
  const valid = typeof key === 'string' || (Array.isArray(key) && key.every((p) => typeof p === 'string' || typeof p === 'number'));
  const parts = !valid ? [] : Array.isArray(key) ? key.map(String) : key.split('.');
  if (parts.length === 0 || parts.some((p) => p === '' || Buffer.byteLength(p) > MAX_KEY_PART_BYTES)) {
    throw badRequest(`Invalid key: ${JSON.stringify(key)?.slice(0, 100)}`);
  }
  const bad = parts.find(isPrototypeName);
  if (bad !== undefined) throw badRequest(`Invalid key: "${bad}" is not allowed as a key name`);
  return parts;
}

/** The namespace part of a key, checked like the key's parts (it names a record in replies). */
function checkNamespace(ns: string): string {
  if (Buffer.byteLength(ns) > MAX_KEY_PART_BYTES) throw badRequest(`Namespace name longer than ${MAX_KEY_PART_BYTES} bytes`);
  if (isPrototypeName(ns)) throw badRequest(`Invalid namespace: "${ns}" is not allowed as a namespace name`);
  return ns;
}

/** A record's own entry `name`, never one inherited from a prototype. */
const own = (record: Record<string, unknown>, name: string): unknown => (Object.hasOwn(record, name) ? record[name] : undefined);

const keyText = (parts: string[]) => parts.join('.');

/**
 * LMDB's own durable commit: a synchronous transaction returns only after its pages and then its
 * meta page are fsynced, so a write acknowledged to a client survives kill -9 and a power cut.
 * lmdb-js's default (overlappingSync) lets a commit return before it is flushed and flushes it
 * later; and its asynchronous commits, which would keep the fsync off the event loop, reported
 * a full disk only on the console with their promise never settling (seen on a full tmpfs). So
 * client writes are synchronous, fully synced transactions: an fsync on the event loop once per
 * write (settings saves: rare).
 */
const DURABLE_COMMITS = { overlappingSync: false, noSync: false, noMetaSync: false } as const;

/**
 * LMDB's errors that mean the data file itself is damaged or not an LMDB file of this build
 * (MDB_PAGE_NOTFOUND, MDB_CORRUPTED, MDB_VERSION_MISMATCH, MDB_INVALID), as opposed to the
 * folder being unreadable, which moving the file would not help.
 */
const LMDB_DATA_ERRORS = new Set([-30797, -30796, -30794, -30793]);
const isLmdbDataError = (err: unknown) => LMDB_DATA_ERRORS.has((err as { code?: unknown } | null)?.code as number);

/** A hidden scratch folder beside `file` (backup listings skip names that start with a dot). */
const scratchFor = (file: string) => join(dirname(file), `.${basename(file).slice(0, 200)}.partial`);

/**
 * A failed write to the store's disk as the client's answer: 507 when the disk is full. LMDB
 * reports a short write as EIO, so EIO counts as a full disk when the folder has no room left.
 */
function storeWriteError(err: unknown, folder: string): ServerError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const full = () => insufficientStorage('Database write failed: no space left on the device');
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 28 || code === 122) return full();
  if (code === 'EIO' || code === 5) {
    try {
      const fs = statfsSync(folder);
      if (fs.bavail * fs.bsize < LOW_SPACE_BYTES) return full();
    } catch {
      /* the folder itself is unreadable: report the original error */
    }
  }
  return undefined;
}

/** Below this much free space a failed commit is put down to a full disk. */
const LOW_SPACE_BYTES = 4 * 1024 * 1024;

const busy = () => unavailable('The database is being compacted or restored; try again');

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Database {
  private root!: RootDatabase;
  /** [namespace, topKey] → value */
  private items!: LmdbDatabase<unknown, [string, string]>;

  /** Backups, compaction and restores, one at a time (see `exclusive`). */
  private maintenance: Promise<unknown> = Promise.resolve();
  /**
   * Set while writes are held off for a swap: from a compaction's copy until the environment,
   * closed and swapped for the compacted or restored one, is open again.
   */
  private swapping: Promise<void> | undefined;
  /** The environment is closed (the heart of a swap): reads wait too. */
  private envClosed = false;

  /** Background work waiting for a swap to end, in the order it was asked for (see `inBackground`). */
  private backgroundQueue: Promise<void> = Promise.resolve();
  private backgroundQueued = 0;

  /** Problems found when the store was opened (a damaged file moved aside), for server.info. */
  readonly startupWarnings: string[] = [];

  /** How long a background write (putAsync/removeAsync) may take before it counts as failed. */
  private readonly asyncCommitBoundMs: number;

  constructor(
    readonly path: string,
    opts: { asyncCommitBoundMs?: number } = {},
  ) {
    this.asyncCommitBoundMs = opts.asyncCommitBoundMs ?? 15_000;
    mkdirSync(path, { recursive: true });
    this.recoverOnOpen();
    try {
      this.openEnv();
    } catch (err) {
      // A file that passed the checks but that LMDB itself calls damaged or foreign.
      if (!isLmdbDataError(err)) throw err;
      this.moveAside((err as Error).message);
      this.openEnv();
    }
  }

  /**
   * Before LMDB maps the file: removes what a killed backup, compaction or restore left behind,
   * and moves a damaged data file aside (kept, never deleted) instead of letting LMDB crash the
   * process on it at every start or take a 0-byte file for an empty store.
   */
  private recoverOnOpen(): void {
    rmSync(this.restoreScratch, { recursive: true, force: true });
    rmSync(this.compactFile, { force: true });
    rmSync(scratchFor(this.compactFile), { recursive: true, force: true });
    if (!existsSync(this.dataFile)) return;
    const problem = storeFileProblem(this.dataFile);
    if (problem !== undefined) {
      this.moveAside(problem);
      return;
    }
    // After a crash (no mark left by close), LMDB's own reading is tried first in a throwaway
    // process: a file that passes the checks above can still crash LMDB's native code.
    if (!existsSync(this.cleanMark)) {
      const crashed = probeProblemSync(this.path);
      if (crashed !== undefined) this.moveAside(crashed);
    }
    rmSync(this.cleanMark, { force: true });
  }

  /** Present only while the store is closed after a clean close (see recoverOnOpen). */
  private get cleanMark(): string {
    return join(this.path, 'closed-cleanly');
  }

  /** Keeps a data file that cannot be opened beside the store, and says so loudly. */
  private moveAside(problem: string): void {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = `${this.dataFile}.damaged-${stamp}`;
    renameSync(this.dataFile, aside);
    rmSync(join(this.path, 'lock.mdb'), { force: true });
    const warning =
      `The database file could not be opened (${problem}); it was moved aside to ` +
      `database/${basename(aside)} and the server starts with an empty database. ` +
      'Restore a backup with server.database.restore.';
    log.error(warning);
    this.startupWarnings.push(warning);
  }

  /** Where a restore prepares its file. No extension: lmdb-js reads "x.restore" as a single-file store. */
  private get restoreScratch(): string {
    return `${this.path}-restore`;
  }

  /** Where a compaction writes the compacted copy before it replaces the data file. */
  private get compactFile(): string {
    return join(this.path, 'data.mdb.compact');
  }

  /**
   * Every read and write goes through here. While the environment is closed for a swap (a few
   * milliseconds), callers get a clear 503 instead of touching a closed LMDB environment, which
   * throws at best and, in native code, can take the process down.
   */
  private get db(): LmdbDatabase<unknown, [string, string]> {
    if (this.envClosed) throw busy();
    return this.items;
  }

  /**
   * Runs one backup, compaction or restore at a time: a second one could close the environment
   * under the first one's copy, which crashed the process (found by the fuzz test).
   */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    // File-system errors name server paths: they go to the log, the client gets their code.
    const guarded = () =>
      job().catch((err: unknown) => {
        if (err instanceof ServerError) throw err;
        const clientError = clientFsError(err);
        if (clientError) throw clientError;
        log.error(`database maintenance failed: ${(err as Error).message}`);
        const code = (err as { code?: unknown } | null)?.code;
        throw internalError(`Database maintenance failed${typeof code === 'string' ? ` (${code})` : ''}`);
      });
    const run = this.maintenance.then(guarded, guarded);
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  /**
   * Closes the environment, lets `replace` change its file, and opens it again. `prepare` runs
   * first, with the environment still open but writes already held off: a compaction's copy is
   * taken there, so no write can land in the old file after the copy and be lost with it.
   */
  private async swap(replace: () => Promise<void>, prepare?: () => Promise<void>): Promise<void> {
    let done!: () => void;
    this.swapping = new Promise((resolve) => (done = resolve));
    let closing = false;
    try {
      if (prepare) {
        // Background writes already handed to LMDB are in the copy too.
        await this.settled(this.root.committed);
        await prepare();
      }
      closing = true;
      this.envClosed = true;
      await this.root.close();
      await replace();
    } finally {
      if (closing) this.openEnv();
      this.envClosed = false;
      this.swapping = undefined;
      done();
    }
  }

  private openEnv(): void {
    this.root = open({ path: this.path, maxDbs: 8, encoding: 'json', ...DURABLE_COMMITS });
    this.items = this.root.openDB<unknown, [string, string]>({ name: 'items', encoding: 'json' });
  }

  /** One write transaction; a full disk is a 507, as for uploads. */
  private write<T>(txn: () => T): T {
    // Reads go on during a compaction's copy; a write would be lost with the old file.
    if (this.swapping) throw busy();
    try {
      return this.db.transactionSync(txn);
    } catch (err) {
      throw storeWriteError(err, this.path) ?? err;
    }
  }

  /** LMDB keeps everything in one file in the database folder. */
  private get dataFile(): string {
    return join(this.path, 'data.mdb');
  }

  get sizeBytes(): number {
    return statSync(this.dataFile).size;
  }

  /**
   * The records of one namespace, in key order. The range starts at the namespace itself and
   * ends where the next one begins: an upper bound such as [ns, '\uffff'] left out top-level
   * keys that sort after it (emoji and every character beyond U+FFFF; found by the fuzz test).
   */
  private *entries(ns: string): Generator<{ key: [string, string]; value: unknown }> {
    for (const entry of this.db.getRange({ start: [ns] as unknown as [string, string] })) {
      if (entry.key[0] !== ns) return;
      yield entry;
    }
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
    for (const _ of this.entries(ns)) return true;
    return false;
  }

  /** The whole namespace as an object of its top-level keys. */
  namespace(ns: string): Record<string, unknown> {
    checkNamespace(ns);
    const out: Record<string, unknown> = {};
    // Keys stored before prototype names were refused are skipped rather than assigned.
    for (const { key, value } of this.entries(ns)) if (!isPrototypeName(key[1])) out[key[1]] = value;
    return out;
  }

  /** Reads a namespace (no key) or one item; 404 when absent, with Moonraker's wording. */
  get(ns: string, key?: ItemKey): unknown {
    checkNamespace(ns);
    if (key === undefined) {
      if (!this.hasNamespace(ns)) throw notFound(`Namespace ${ns} not found`); // Moonraker's exact text
      return this.namespace(ns);
    }
    const parts = splitKey(key);
    let value: unknown = this.db.get([ns, parts[0]!]);
    // Moonraker names the top-level key when that record is missing, the whole key when a part inside it is.
    if (value === undefined) throw notFound(`Key '${parts[0]!}' in namespace '${ns}' not found`);
    for (const p of parts.slice(1)) {
      value = isRecord(value) ? own(value, p) : undefined;
    }
    if (value === undefined) throw notFound(`Key '${keyText(parts)}' in namespace '${ns}' not found`);
    return value;
  }

  /** Writes one item, creating intermediate objects for a dotted key. Returns the value stored. */
  put(ns: string, key: ItemKey, value: unknown): unknown {
    const parts = this.checkPut(ns, key, value);
    this.write(() => this.putInTxn(ns, parts, value));
    return value;
  }

  private checkPut(ns: string, key: ItemKey, value: unknown): string[] {
    checkNamespace(ns);
    if (value === undefined) throw badRequest('A value is required');
    return splitKey(key);
  }

  private putInTxn(ns: string, parts: string[], value: unknown): void {
    const top = parts[0]!;
    if (parts.length === 1) {
      this.db.putSync([ns, top], value);
      return;
    }
    const current = this.db.get([ns, top]);
    const record = isRecord(current) ? structuredClone(current) : {};
    let cursor = record;
    for (const p of parts.slice(1, -1)) {
      if (!isRecord(own(cursor, p))) cursor[p] = {};
      cursor = cursor[p] as Record<string, unknown>;
    }
    cursor[parts.at(-1)!] = value;
    this.db.putSync([ns, top], record);
  }

  /** Removes one item (or a nested key inside one) and returns what was there. */
  delete(ns: string, key: ItemKey): unknown {
    checkNamespace(ns);
    const parts = splitKey(key);
    return this.write(() => this.deleteInTxn(ns, parts));
  }

  private deleteInTxn(ns: string, parts: string[]): unknown {
    const top = parts[0]!;
    const current = this.db.get([ns, top]);
    if (parts.length === 1) {
      if (current === undefined) throw notFound(`Key '${keyText(parts)}' in namespace '${ns}' not found`);
      this.db.removeSync([ns, top]);
      return current;
    }
    const record = isRecord(current) ? structuredClone(current) : undefined;
    let cursor: Record<string, unknown> | undefined = record;
    for (const p of parts.slice(1, -1)) {
      const next = cursor ? own(cursor, p) : undefined;
      cursor = isRecord(next) ? next : undefined;
    }
    const last = parts.at(-1)!;
    if (!cursor || !Object.hasOwn(cursor, last)) throw notFound(`Key '${keyText(parts)}' in namespace '${ns}' not found`);
    const removed = cursor[last];
    delete cursor[last];
    this.db.putSync([ns, top], record);
    return removed;
  }

  /** Removes every item of a namespace. */
  clearNamespace(ns: string): void {
    checkNamespace(ns);
    this.write(() => {
      for (const { key } of [...this.entries(ns)]) this.db.removeSync(key);
    });
  }

  /**
   * A consistent, compacted copy of the whole store in one file at `file`, put in place durably
   * (a kill leaves the previous file of that name or the complete new one). LMDB copies into a
   * folder (our store is a folder), so the copy is made in a hidden scratch folder and moved.
   */
  backup(file: string): Promise<void> {
    return this.exclusive(() => this.backupNow(file));
  }

  private async backupNow(file: string): Promise<void> {
    const scratch = scratchFor(file);
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    try {
      await this.root.backup(scratch, true);
      await durableReplace(join(scratch, 'data.mdb'), file, dirname(file));
    } catch (err) {
      throw storeWriteError(err, dirname(file)) ?? err;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Rewrites the store without free pages; returns the sizes before and after. */
  compact(): Promise<{ previous_size: number; new_size: number }> {
    return this.exclusive(async () => {
      const previous = this.sizeBytes;
      await this.swap(
        () => this.replaceDataFile(this.compactFile),
        () => this.backupNow(this.compactFile),
      );
      return { previous_size: previous, new_size: this.sizeBytes };
    });
  }

  /**
   * With the environment closed: the new data file takes the old one's place in one rename.
   * The lock file goes first: it describes the old file's readers and transactions.
   */
  private async replaceDataFile(from: string): Promise<void> {
    await rm(join(this.path, 'lock.mdb'), { force: true });
    await durableReplace(from, this.dataFile, this.path);
  }

  /**
   * Replaces the whole store with a backup made by `backup`. The backup is copied aside and
   * checked in a separate process first, so a file that is not a sound database is refused
   * before anything is replaced; then it takes the store's place in one rename. A kill at any
   * point leaves the old store or the restored one, whole. The copy and the check run off the
   * event loop.
   */
  restore(backupFile: string): Promise<string[]> {
    return this.exclusive(() => this.restoreNow(backupFile));
  }

  private async restoreNow(backupFile: string): Promise<string[]> {
    const scratch = this.restoreScratch;
    const candidate = join(scratch, 'data.mdb');
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    try {
      const notABackup = (why: string) => badRequest(`Not a database backup: ${why}`);
      // Deleted since the request was checked (it waited for another backup or restore).
      const gone = () => notFound(`Backup file ${basename(backupFile)} not found`);
      if (!existsSync(backupFile)) throw gone();
      const problem = storeFileProblem(backupFile);
      if (problem !== undefined) throw notABackup(problem);
      try {
        await copyFile(backupFile, candidate);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ENOENT' && !existsSync(backupFile)) throw gone();
        throw storeWriteError(err, scratch) ?? err;
      }
      const namespaces = await probeNamespaces(scratch).catch((err: Error) => {
        throw notABackup(err.message);
      });
      // A damaged file can open as an empty store; restoring it would silently wipe everything.
      if (namespaces.length === 0) throw notABackup('it holds no data');
      // The probe opened it read-write: its lock file belongs to no one now.
      await rm(join(scratch, 'lock.mdb'), { force: true });
      await this.swap(() => this.replaceDataFile(candidate));
      return namespaces;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Resolves once no swap is running (a compaction can follow a restore at once). */
  async whenOpen(): Promise<void> {
    while (this.swapping) await this.swapping;
  }

  /**
   * For database work outside any request (actors recording a job, the job queue saving itself,
   * file-watcher callbacks): there is no client to answer a 503, and a throw from a callback
   * kills the process. When the store is open and nothing waits before it, `work` runs at once
   * (so its write is as durable as a client's); during a swap it waits for the swap's end, in
   * order with the other waiting work. A failure is logged, never thrown; the promise settles
   * when the work is done.
   */
  inBackground(what: string, work: () => unknown): Promise<void> {
    const run = async () => {
      try {
        await this.whenOpen();
        await work();
      } catch (err) {
        log.error(`${what} failed: ${(err as Error)?.message ?? String(err)}`);
      }
    };
    if (!this.swapping && this.backgroundQueued === 0) {
      try {
        const result = work();
        // Synchronous work is done; asynchronous work is awaited and its failure logged.
        return result instanceof Promise ? result.then(() => undefined, (err: unknown) => void log.error(`${what} failed: ${(err as Error)?.message ?? String(err)}`)) : Promise.resolve();
      } catch (err) {
        // A swap began inside the work (cannot happen synchronously) or the write failed: logged.
        log.error(`${what} failed: ${(err as Error)?.message ?? String(err)}`);
        return Promise.resolve();
      }
    }
    this.backgroundQueued += 1;
    const queued = this.backgroundQueue.then(run).finally(() => (this.backgroundQueued -= 1));
    this.backgroundQueue = queued;
    return queued;
  }

  /** The top-level keys of a namespace, without reading their values. */
  keys(ns: string): string[] {
    checkNamespace(ns);
    const out: string[] = [];
    for (const { key } of this.entries(ns)) out.push(key[1]);
    return out;
  }

  /**
   * Writes one top-level item without blocking: LMDB batches asynchronous writes and commits
   * them off the event loop (for bulk writers such as the metadata cache).
   */
  async putAsync(ns: string, topKey: string, value: unknown): Promise<void> {
    await this.whenOpen();
    await this.settled(this.db.put([ns, topKey], value));
  }

  /** Removes one top-level item without blocking; absent items are no error. */
  async removeAsync(ns: string, topKey: string): Promise<void> {
    await this.whenOpen();
    await this.settled(this.db.remove([ns, topKey]));
  }

  /**
   * An asynchronous LMDB commit as a promise that always settles, in bounded time: lmdb-js
   * batches these writes and commits them in the background, and on a full disk its promise was
   * seen never to settle (and a failed commit rejects a second promise, `commitError`, that
   * nobody awaits: an unhandled rejection). Whoever waits (a metadata read for a client, the
   * history recording a print, work queued behind a compaction) must not wait forever: after
   * `asyncCommitBoundMs` the write counts as failed, though LMDB may still commit it later.
   */
  private settled(commit: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.stalledCommitError()), this.asyncCommitBoundMs);
      timer.unref();
    });
    const done = commit.then(
      () => undefined,
      (err: unknown) => {
        const second = (err as { commitError?: unknown } | null)?.commitError;
        if (second instanceof Promise) second.catch(() => undefined);
        // "Commit failed" carries no code (the cause is in commitError): judged by the free space.
        throw storeWriteError(err, this.path) ?? (second ? storeWriteError({ code: 'EIO' }, this.path) : undefined) ?? err;
      },
    );
    return Promise.race([done, bound]).finally(() => clearTimeout(timer));
  }

  private stalledCommitError(): ServerError {
    const full = storeWriteError({ code: 'EIO' }, this.path);
    if (full) return full;
    log.error(`a background database write did not finish within ${this.asyncCommitBoundMs} ms`);
    return unavailable('Database write did not complete in time; try again');
  }

  async close(): Promise<void> {
    await this.root.close();
    try {
      writeFileSync(this.cleanMark, '');
    } catch (err) {
      // Without the mark the next start reads the store in a throwaway process first: slower, not wrong.
      log.warn(`could not mark the database closed cleanly: ${(err as Error).message}`);
    }
  }
}
