// Gcode metadata by path relative to the gcodes root, cached in the database (namespace
// gcode_metadata) with the size and mtime it was read from, so unchanged files are never parsed
// twice, not even across restarts. Parsing happens in the worker; callers either wait for it
// (server.files.metadata) or let it run and hear about it through `updated`. An entry owns the
// thumbnail files the parse wrote: they go when it is removed and move when it moves.
import { join } from 'node:path';
import type { Database } from '../../db/database.js';
import { getLogger } from '../../logger.js';
import type { StoredMetadata } from '../fileTypes.js';
import { MetadataFileError, type MetadataWorkerPool } from './metadataWorkerPool.js';
import { moveThumbnails, removeThumbnails } from './thumbnailFiles.js';

const log = getLogger('metadata');

export const METADATA_NAMESPACE = 'gcode_metadata';
/**
 * Bumped when the parser learns something new, so cached entries are read again (2: thumbnail
 * files; 3: today's Moonraker fields, gcode_start_byte and the rest).
 */
export const PARSER_VERSION = 3;

export const GCODE_EXTENSIONS = ['.gcode', '.g', '.gco'];
export const isGcodeFile = (name: string) => {
  const lower = name.toLowerCase();
  return GCODE_EXTENSIONS.some((e) => lower.endsWith(e));
};

interface CacheRecord extends StoredMetadata {
  parser: number;
}

const sameStat = (a: { size: number; modified: number }, b: { size: number; modified: number }) =>
  a.size === b.size && Math.abs(a.modified - b.modified) < 1e-6;

export class GcodeMetadataStore {
  /** In-flight parses by relative path, so one file is never parsed twice at once. */
  private readonly running = new Map<string, Promise<StoredMetadata | undefined>>();

  constructor(
    private readonly db: Database,
    private readonly pool: MetadataWorkerPool,
    /** Called with each freshly parsed file (notify_metadata_update). */
    private readonly updated: (rel: string, meta: StoredMetadata) => void,
    /** Where the gcodes root is now, to find the thumbnail files of an entry. */
    private readonly gcodesPath: () => string | undefined,
  ) {}

  private read(rel: string): CacheRecord | undefined {
    try {
      const v = this.db.get(METADATA_NAMESPACE, [rel]) as CacheRecord;
      return typeof v === 'object' && v !== null ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** The cached metadata if it matches the file's current size and mtime. */
  cached(rel: string, st: { size: number; modified: number }): StoredMetadata | undefined {
    const rec = this.read(rel);
    if (!rec || rec.parser !== PARSER_VERSION || !sameStat(rec, st)) return undefined;
    const { parser: _p, ...meta } = rec;
    return meta;
  }

  /**
   * The metadata of `rel` (at `abs` on disk, current stat `st`): from the cache, else parsed now.
   * Resolves undefined when the file vanished meanwhile. `notify` reports a fresh parse.
   */
  async get(rel: string, abs: string, st: { size: number; modified: number }, notify = false): Promise<StoredMetadata | undefined> {
    const hit = this.cached(rel, st);
    if (hit) return hit;
    const running = this.running.get(rel);
    if (running) return running;
    const job = this.parse(rel, abs, st, notify).finally(() => this.running.delete(rel));
    this.running.set(rel, job);
    return job;
  }

  /**
   * Parses `rel` again even if its cache entry is current (server.files.metascan); clients hear of
   * the result as of an upload's (notify_metadata_update).
   */
  async rescan(rel: string, abs: string, st: { size: number; modified: number }): Promise<StoredMetadata | undefined> {
    const running = this.running.get(rel);
    if (running) await running.catch(() => undefined);
    const job = this.parse(rel, abs, st, true).finally(() => this.running.delete(rel));
    this.running.set(rel, job);
    return job;
  }

  /** Parses `rel` in the background if its cache entry is stale; reports the result. */
  refresh(rel: string, abs: string, st: { size: number; modified: number }): void {
    if (this.cached(rel, st)) return;
    void this.get(rel, abs, st, true).catch((err: Error) => log.debug(`metadata of ${rel}: ${err.message}`));
  }

  private async parse(rel: string, abs: string, st: { size: number; modified: number }, notify: boolean): Promise<StoredMetadata | undefined> {
    let meta: StoredMetadata;
    try {
      const root = this.gcodesPath();
      if (root === undefined) return undefined;
      const r = await this.pool.parse(abs, root);
      // No print of this version of the file yet: the history sets both when one starts.
      meta = { size: r.size, modified: r.modified, ...r.metadata, print_start_time: null, job_id: null };
    } catch (err) {
      if (err instanceof MetadataFileError && (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'ENOTDIR')) return undefined;
      if (!(err instanceof MetadataFileError)) throw err;
      // A file we cannot read or parse in time still gets the basics.
      log.warn(`metadata of ${rel}: ${err.message}`);
      meta = { size: st.size, modified: st.modified, slicer: 'Unknown', print_start_time: null, job_id: null };
    }
    const record: CacheRecord = { ...meta, parser: PARSER_VERSION };
    await this.db.putAsync(METADATA_NAMESPACE, rel, record);
    if (notify) this.updated(rel, meta);
    return meta;
  }

  /**
   * A print of `rel` started (history job `jobId`): its cached metadata records when and which
   * job, as Moonraker's does, until the file changes and is parsed again.
   */
  async markPrinted(rel: string, printStartTime: number, jobId: string): Promise<void> {
    // Read (not a 503 from a compaction mistaken for no entry) and rewritten with no wait between.
    await this.db.whenOpen();
    const rec = this.read(rel);
    if (!rec) return;
    await this.db.putAsync(METADATA_NAMESPACE, rel, { ...rec, print_start_time: printStartTime, job_id: jobId });
  }

  /** Drops the entry of `rel` and deletes its thumbnail files. */
  remove(rel: string): void {
    const rec = this.read(rel);
    const root = this.gcodesPath();
    if (rec?.thumbnails && root !== undefined) void removeThumbnails(root, join(root, rel), rec.thumbnails);
    this.forget(rel);
  }

  private forget(rel: string): void {
    void this.db.removeAsync(METADATA_NAMESPACE, rel).catch(() => undefined);
  }

  /** Drops the entries of `rel` and everything under it (a deleted folder). */
  removeTree(rel: string): void {
    // Watcher callbacks call this: during a compaction the keys are read once it is over.
    void this.db.inBackground('dropping metadata of a removed folder', () => {
      for (const key of this.db.keys(METADATA_NAMESPACE)) {
        if (rel === '' || key === rel || key.startsWith(rel + '/')) this.remove(key);
      }
    });
  }

  /**
   * Moves cached entries from `from` (a file or folder) to `to`; mtimes survive a rename. A moved
   * file takes its thumbnails along; a moved folder has taken its `.thumbs` with it already.
   */
  async move(from: string, to: string): Promise<void> {
    await this.db.inBackground('moving metadata', () => this.moveNow(from, to));
  }

  private async moveNow(from: string, to: string): Promise<void> {
    const root = this.gcodesPath();
    for (const key of this.db.keys(METADATA_NAMESPACE)) {
      if (key !== from && !key.startsWith(from + '/')) continue;
      const rec = this.read(key);
      const dest = to + key.slice(from.length);
      this.forget(key);
      if (!rec) continue;
      if (key === from && root !== undefined) await moveThumbnails(root, join(root, from), join(root, to), rec.thumbnails);
      await this.db.putAsync(METADATA_NAMESPACE, dest, rec).catch(() => undefined);
    }
  }

  /** Keeps only the entries whose files are in `present` (relative paths). */
  prune(present: Set<string>): void {
    void this.db.inBackground('pruning metadata', () => {
      for (const key of this.db.keys(METADATA_NAMESPACE)) if (!present.has(key)) this.remove(key);
    });
  }
}
