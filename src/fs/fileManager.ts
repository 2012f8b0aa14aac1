// The file manager: roots, every operation on files and folders, the watchers that notice
// changes made outside the API, and the gcode metadata cache. Operations return plain values
// (the file_manager component's fileReplies.ts gives them their wire shape) and report each change on `changes$` right
// after it happened; metadata arrives on `metadata$` once parsed.
import { cp, lstat, mkdir, readdir, realpath, rename, rm, rmdir, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import type { KlippyConnection } from '../actors/klippyConnection.actor.js';
import type { Database } from '../db/database.js';
import { getLogger } from '../logger.js';
import { badRequest, notFound, internalError } from '../shared/errors.js';
import { FileInUse, type PrintStatsSource } from './fileInUse.js';
import { fsApiError, fsGuard } from './fsErrors.js';
import { copyOver, openInRoot, syncDir, syncTree, withPinned } from './safeWrite.js';
import { describeOpen } from './openFile.js';
import type { FileToSend } from '../shared/fileTransfer.js';
import { FileRoots, isWatchedRoot, type Root, type RootName, type RootPath } from './fileRoots.js';
import type { DirectoryListing, FileChange, FileStat, StoredMetadata } from './fileTypes.js';
import { historyMetadata } from './metadata/todaysMetadata.js';
import { GcodeMetadataStore, isGcodeFile } from './metadata/metadataStore.js';
import { MetadataWorkerPool, OBJECT_PROCESSING_TIMEOUT_MS } from './metadata/metadataWorkerPool.js';
import { RootWatcher, type WatchEvent } from './rootWatcher.js';
import { isUploadTemp, isWithin } from './safePath.js';
import { writeZip, type ZipEntry } from './zipFiles.js';

const log = getLogger('files');

export interface FileManagerOptions {
  /** Moonraker's [file_manager] options (the file_manager component declares them). */
  fileManager: {
    /** Where the `config` root lives (default: {data_path}/config; Moonraker has deprecated the option). */
    config_path: string | undefined;
    /** false makes the `config` root read-only. */
    enable_config_write_access: boolean;
    /** Add Klipper's exclude_object lines to uploaded gcode whose slicer labels objects. */
    enable_object_processing: boolean;
  };
  /** [virtual_sdcard] path: the `gcodes` root, when it should not be the folder Klippy's [virtual_sdcard] reports. */
  gcodesPath: string | undefined;
  klippy: KlippyConnection;
  database: Database;
  /** Moonraker's data folders ({data_path}/gcodes, config, logs). */
  paths: { gcodes: string; config: string; logs: string };
  /** The server runs its own virtual Klippy. */
  embedded: boolean;
  /** What Klippy is printing: the source of the "file in use" rule (printStatsFromJob). */
  printStats: PrintStatsSource;
  watchDebounceMs?: number;
  /** fsync each upload before acknowledging it (default true). */
  fsyncUploads?: boolean;
}

export interface ListedFile extends FileStat {
  path: string;
}

const statOf = (st: { size: number; mtimeMs: number }): FileStat => ({ size: st.size, modified: st.mtimeMs / 1000 });
const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

function expandUser(p: string): string {
  return resolve(p.startsWith('~') ? homedir() + p.slice(1) : p);
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * True when `target` lies in the folder `src`, compared where they really are: an in-root symlink
 * (alias -> tree) makes `alias/sub` a child of `tree`, and roots may share a disk folder.
 */
async function landsInside(src: string, target: string): Promise<boolean> {
  if (isWithin(src, target)) return true;
  const realSrc = await realpath(src).catch(() => src);
  const realParent = await realpath(dirname(target)).catch(() => dirname(target));
  return isWithin(realSrc, join(realParent, basename(target)));
}

export class FileManager {
  readonly roots = new FileRoots();
  readonly inUse: FileInUse;
  readonly metadata: GcodeMetadataStore;
  readonly changes$ = new Subject<FileChange>();
  readonly metadata$ = new Subject<{ filename: string; metadata: StoredMetadata }>();
  /** Klippy's log file (info.log_file), served as klippy.log. */
  klippyLogFile: string | undefined;
  private readonly pool: MetadataWorkerPool;
  private readonly watchers = new Map<RootName, RootWatcher>();
  private readonly watcherStarts = new Map<RootName, Promise<void>>();
  private readonly subs: Subscription[] = [];
  private closed = false;
  /** Temp files older than this are leftovers of an earlier run. */
  private readonly startedAt = Date.now();

  constructor(private readonly opts: FileManagerOptions) {
    const objects = opts.fileManager.enable_object_processing;
    this.pool = objects ? new MetadataWorkerPool(OBJECT_PROCESSING_TIMEOUT_MS, true) : new MetadataWorkerPool();
    this.inUse = new FileInUse(opts.printStats);
    this.metadata = new GcodeMetadataStore(
      opts.database,
      this.pool,
      (filename, metadata) => this.metadata$.next({ filename, metadata }),
      () => this.roots.pathOf('gcodes'),
    );
  }

  /** [file_manager] enable_object_processing: gcode files are rewritten when first parsed. */
  get processesObjects(): boolean {
    return this.opts.fileManager.enable_object_processing;
  }

  /** Sets the roots known from the config and starts following Klippy and the disk. */
  start(): void {
    const { fileManager, gcodesPath, paths } = this.opts;
    this.subs.push(
      this.roots.changes$.subscribe(({ name, path }) => {
        this.restartWatcher(name, path);
        if (path !== undefined) void this.announceRoot(name, path);
      }),
    );
    // Moonraker's roots are folders of the data path, known before Klippy connects; gcodes
    // follows Klippy's [virtual_sdcard] path once Klippy reports it.
    this.roots.set('gcodes', gcodesPath ?? paths.gcodes);
    this.roots.setWritable('config', fileManager.enable_config_write_access);
    this.roots.set('config', fileManager.config_path ?? paths.config);
    this.roots.set('logs', paths.logs);
    this.opts.klippy.onInitialize(() => this.learnFromKlippy());
  }

  /** Each time Klippy (re)connects: its gcodes folder, Klipper's example configs and its log. */
  private async learnFromKlippy(): Promise<void> {
    if (this.closed) return;
    const info = this.opts.klippy.info;
    this.klippyLogFile = typeof info?.log_file === 'string' && info.log_file !== '' ? expandUser(info.log_file) : undefined;
    const klipperPath = typeof info?.klipper_path === 'string' && info.klipper_path !== '' ? expandUser(info.klipper_path) : undefined;
    for (const [root, folder] of [['config_examples', 'config'], ['docs', 'docs']] as const) {
      if (klipperPath !== undefined && (await isDirectory(join(klipperPath, folder)))) {
        this.roots.set(root, join(klipperPath, folder));
      } else {
        this.roots.set(root, undefined, {
          reason: `not available: ${klipperPath ? `Klipper's ${folder} folder does not exist` : 'Klippy did not report klipper_path'}`,
        });
      }
    }
    if (this.opts.gcodesPath !== undefined) return;
    try {
      const reply = await this.opts.klippy.request('objects/query', { objects: { configfile: ['config'] } });
      const cfg = (reply.status as { configfile?: { config?: Record<string, Record<string, unknown>> } } | undefined)?.configfile?.config;
      const path = cfg?.virtual_sdcard?.path;
      if (typeof path === 'string' && path !== '') {
        const abs = expandUser(path);
        await mkdir(abs, { recursive: true }).catch(() => undefined);
        this.roots.set('gcodes', abs);
      }
      // Without [virtual_sdcard] in Klippy the gcodes root stays {data_path}/gcodes, as in Moonraker.
    } catch (err) {
      log.warn(`cannot read Klippy's virtual_sdcard path: ${(err as Error).message}`);
    }
  }

  /**
   * A root that appears or moves (gcodes is only known once Klippy is ready) is announced, so a
   * client that listed files before does not keep showing an empty or stale root.
   */
  private async announceRoot(name: RootName, path: string): Promise<void> {
    const st = await stat(path).catch(() => undefined);
    if (this.closed || this.roots.pathOf(name) !== path) return;
    const readOnly = !this.roots.available().find((r) => r.name === name)?.writable;
    this.changes$.next({ action: 'root_update', item: { root: name, path: '', size: st?.size ?? 0, modified: st ? st.mtimeMs / 1000 : 0, readOnly } });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.subs) s.unsubscribe();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await Promise.allSettled(this.watcherStarts.values());
    await this.pool.close();
    this.changes$.complete();
    this.metadata$.complete();
  }

  // ---------------------------------------------------------------------------------------------
  // Watching

  private restartWatcher(name: RootName, path: string | undefined): void {
    this.watchers.get(name)?.close();
    this.watchers.delete(name);
    if (this.closed || path === undefined || !isWatchedRoot(name)) return;
    const watcher = new RootWatcher(path, (ev) => this.onOutsideChange(name, ev), {
      debounceMs: this.opts.watchDebounceMs,
      onTempFile: (rel) => void this.removeStaleTemp(path, rel),
    });
    this.watchers.set(name, watcher);
    const started = watcher
      .start()
      .then(() => {
        if (name === 'gcodes' && this.watchers.get(name) === watcher) this.scanMetadata(watcher);
      })
      .catch((err: Error) => log.warn(`cannot watch ${name} (${path}): ${err.message}`));
    this.watcherStarts.set(name, started);
  }

  /**
   * A temp file left by an earlier run (a kill mid-upload): removed. One written since this
   * server started belongs to an upload in progress and is left alone.
   */
  private async removeStaleTemp(rootPath: string, rel: string): Promise<void> {
    const abs = join(rootPath, rel);
    const st = await lstat(abs).catch(() => undefined);
    if (!st || st.isDirectory() || st.mtimeMs >= this.startedAt) return;
    // unlink() removes a link itself, never its target; the watcher only walks real folders.
    await unlink(abs).then(
      () => log.info(`removed a temp file left by an interrupted upload: ${rel}`),
      () => undefined,
    );
  }

  /** Files waiting for (or in) the metadata parser. */
  get metadataPending(): number {
    return this.pool.pending;
  }

  /** Resolves once the watchers have read their roots and handled every change seen so far. */
  async settled(): Promise<void> {
    await Promise.all(this.watcherStarts.values());
    await Promise.all([...this.watchers.values()].map((w) => w.settled()));
  }

  /** Brings the metadata cache in line with the gcodes folder: parse what changed, drop the gone. */
  private scanMetadata(watcher: RootWatcher): void {
    const present = new Set<string>();
    for (const [rel, e] of watcher.entries()) {
      if (e.dir || !isGcodeFile(rel)) continue;
      present.add(rel);
      this.metadata.refresh(rel, join(watcher.rootPath, rel), e);
    }
    this.metadata.prune(present);
  }

  private onOutsideChange(root: RootName, ev: WatchEvent): void {
    const item = { root, path: ev.rel, size: ev.entry.size, modified: ev.entry.modified };
    if (ev.kind === 'remove') {
      this.changes$.next({ action: ev.entry.dir ? 'delete_dir' : 'delete_file', item });
      if (root === 'gcodes') this.metadata.removeTree(ev.rel);
      return;
    }
    if (ev.entry.dir) {
      this.changes$.next({ action: 'create_dir', item });
      return;
    }
    this.changes$.next({ action: ev.kind === 'change' ? 'modify_file' : 'create_file', item });
    const w = this.watchers.get(root);
    if (root === 'gcodes' && isGcodeFile(ev.rel) && w) this.metadata.refresh(ev.rel, join(w.rootPath, ev.rel), ev.entry);
  }

  /** The watcher of a root path, if it watches that root. */
  private watcherFor(root: Root): RootWatcher | undefined {
    const w = this.watchers.get(root.name);
    return w && w.rootPath === root.path ? w : undefined;
  }

  private async recordTree(root: Root, rel: string): Promise<void> {
    await this.watcherFor(root)?.recordTree(rel);
  }

  private hold(paths: RootPath[]): () => void {
    const releases = paths.map((p) => this.watcherFor(p.root)?.hold([p.rel]));
    return () => {
      for (const r of releases) r?.();
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /**
   * Every file under a root (gcodes: gcode files only), walking subfolders; hidden folders and
   * linked folders are skipped. Answered from the watcher's snapshot once it has read the tree
   * (our own changes are in it at once, changes made by hand after the watcher's short quiet
   * period); from the disk otherwise.
   */
  async list(rootName: string): Promise<{ root: Root; files: ListedFile[] }> {
    const root = this.roots.get(rootName);
    const onlyGcode = root.name === 'gcodes';
    const wanted = (rel: string) => (!onlyGcode || isGcodeFile(rel)) && !/(^|\/)\.[^/]*\//.test(rel);
    const w = this.watcherFor(root);
    let out: ListedFile[];
    if (w?.ready) {
      out = [];
      let n = 0;
      for (const [rel, e] of w.entries()) {
        if (!e.dir && wanted(rel)) out.push({ path: rel, size: e.size, modified: e.modified });
        if (++n % 2000 === 0) await yieldToLoop();
      }
    } else {
      out = (await this.walk(root)).filter((f) => wanted(f.path));
    }
    // Large roots are gathered, sorted and handed back in separate turns of the event loop.
    await yieldToLoop();
    const keyed = out.map((f) => ({ key: f.path.toLowerCase(), f }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await yieldToLoop();
    return { root, files: keyed.map((k) => k.f) };
  }

  /** Every file under a root, read from the disk (symlinked files only when they stay inside). */
  private async walk(root: Root): Promise<ListedFile[]> {
    const realRoot = await realpath(root.path).catch(() => {
      throw notFound(`Root '${root.name}' does not exist on disk`);
    });
    const out: ListedFile[] = [];
    const dirs: string[] = [''];
    while (dirs.length > 0) {
      const rel = dirs.pop()!;
      const abs = join(root.path, rel);
      const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
      const files: string[] = [];
      for (const d of entries) {
        const name = d.name;
        if (isUploadTemp(name)) continue;
        const childRel = rel === '' ? name : `${rel}/${name}`;
        if (d.isDirectory()) dirs.push(childRel);
        else if (d.isFile()) files.push(childRel);
        else if (d.isSymbolicLink()) {
          const target = await realpath(join(abs, name)).catch(() => undefined);
          if (target && isWithin(realRoot, target) && (await stat(target).catch(() => undefined))?.isFile()) files.push(childRel);
        }
      }
      for (let i = 0; i < files.length; i += 512) {
        const batch = files.slice(i, i + 512);
        const stats = await Promise.all(batch.map((f) => stat(join(root.path, f)).catch(() => undefined)));
        batch.forEach((f, j) => {
          const st = stats[j];
          if (st) out.push({ path: f, ...statOf(st) });
        });
      }
    }
    return out;
  }

  /**
   * The files and folders directly in a folder ("gcodes/sub") and the disk they are on;
   * `withMetadata`: gcode files carry their cached metadata (never parsed here: a listing of
   * fresh files must not wait for the parser).
   */
  directory(prefixed: string, withMetadata = false): Promise<DirectoryListing> {
    return fsGuard(this.doDirectory(prefixed, withMetadata));
  }

  private async doDirectory(prefixed: string, withMetadata = false): Promise<DirectoryListing> {
    const p = await this.roots.resolvePrefixed(prefixed);
    const st = await stat(p.abs).catch(() => undefined);
    if (!st) throw notFound(`Directory does not exist (${prefixed})`);
    if (!st.isDirectory()) throw badRequest(`Not a directory (${prefixed})`);
    const names = (await readdir(p.abs)).filter((n) => !isUploadTemp(n));
    const files: DirectoryListing['files'] = [];
    const dirs: DirectoryListing['dirs'] = [];
    for (let i = 0; i < names.length; i += 512) {
      const batch = names.slice(i, i + 512);
      const stats = await Promise.all(batch.map((n) => this.statInside(p, n)));
      batch.forEach((name, j) => {
        const s = stats[j];
        if (!s) return;
        if (s.isDirectory()) dirs.push({ name, ...statOf(s) });
        else if (s.isFile()) files.push({ name, ...statOf(s), ...this.cachedMetadata(p, name, statOf(s), withMetadata) });
      });
    }
    const fsStat = await statfs(p.abs);
    const diskUsage = {
      total: fsStat.blocks * fsStat.bsize,
      used: (fsStat.blocks - fsStat.bfree) * fsStat.bsize,
      free: fsStat.bavail * fsStat.bsize,
    };
    return { root: { name: p.root.name, writable: p.root.writable }, files, dirs, diskUsage };
  }

  private cachedMetadata(dir: RootPath, name: string, st: FileStat, wanted: boolean): { metadata?: StoredMetadata } {
    if (!wanted || dir.root.name !== 'gcodes' || !isGcodeFile(name)) return {};
    const metadata = this.metadata.cached(dir.rel === '' ? name : `${dir.rel}/${name}`, st);
    return metadata ? { metadata } : {};
  }

  /** stat() of an entry, following a symlink only when it stays inside the root. */
  private async statInside(dir: RootPath, name: string) {
    const abs = join(dir.abs, name);
    const l = await lstat(abs).catch(() => undefined);
    if (!l?.isSymbolicLink()) return l;
    const target = await realpath(abs).catch(() => undefined);
    const realRoot = await realpath(dir.root.path).catch(() => dir.root.path);
    if (!target || !isWithin(realRoot, target)) return undefined;
    return stat(abs).catch(() => undefined);
  }

  /** Metadata of a gcode file (relative to gcodes), waiting for the parser when not cached. */
  fileMetadata(filename: string): Promise<StoredMetadata & { filename: string }> {
    return fsGuard(this.doFileMetadata(filename));
  }

  private async doFileMetadata(filename: string): Promise<StoredMetadata & { filename: string }> {
    const notAvailable = () => notFound(`Metadata not available for ${filename}`);
    const p = await this.roots.resolve('gcodes', filename, { what: 'filename' });
    const st = await stat(p.abs).catch(() => undefined);
    if (!st?.isFile() || !isGcodeFile(p.rel)) throw notAvailable();
    const meta = await this.metadata.get(p.rel, p.abs, statOf(st));
    if (!meta) throw notAvailable();
    return { ...meta, filename: p.rel };
  }

  /**
   * The metadata a history job records for `filename` (relative to gcodes), parsed now if need be;
   * undefined when the file is not a gcode file we can read.
   */
  async jobMetadata(filename: string): Promise<Record<string, unknown> | undefined> {
    try {
      const { filename: _name, ...meta } = await this.fileMetadata(filename);
      return historyMetadata(meta);
    } catch {
      return undefined;
    }
  }

  /** A print of `filename` started as history job `jobId`: its metadata says so (Moonraker's). */
  async jobRecorded(filename: string, printStartTime: number, jobId: string): Promise<void> {
    const p = await this.roots.resolve('gcodes', filename, { what: 'filename' }).catch(() => undefined);
    if (p) await this.metadata.markPrinted(p.rel, printStartTime, jobId);
  }

  /** server.files.metascan: parses a gcode file again, whatever the cache holds. */
  metascan(filename: string): Promise<StoredMetadata & { filename: string }> {
    return fsGuard(this.doMetascan(filename));
  }

  private async doMetascan(filename: string): Promise<StoredMetadata & { filename: string }> {
    const p = await this.roots.resolve('gcodes', filename, { what: 'filename' });
    const st = await stat(p.abs).catch(() => undefined);
    if (!st?.isFile()) throw notFound(`File '${filename}' does not exist`);
    if (!isGcodeFile(p.rel)) throw badRequest(`File ${filename} is not a valid gcode file`);
    const meta = await this.metadata.rescan(p.rel, p.abs, statOf(st));
    if (!meta) throw internalError(`Failed to parse metadata for file '${filename}'`);
    return { ...meta, filename: p.rel };
  }

  /**
   * Cached metadata of a gcode file, if any, with the file's path as resolved (server.files.thumbnails
   * answers from the cache and names thumbnails from that path, not from the client's spelling).
   */
  async cachedFileMetadata(filename: string): Promise<{ rel: string; metadata: StoredMetadata | undefined }> {
    const p = await this.roots.resolve('gcodes', filename, { what: 'filename' });
    const st = await stat(p.abs).catch(() => undefined);
    return { rel: p.rel, metadata: st?.isFile() ? this.metadata.cached(p.rel, statOf(st)) : undefined };
  }

  /**
   * A gcode file named by a client (with or without a leading "gcodes/"), as a path relative to
   * the gcodes root: 404 when missing, 403 outside the root. Prints, history and the queue use it.
   */
  async resolveGcode(filename: string): Promise<string> {
    return (await this.fileToRead('gcodes', filename.replace(/^\/+/, '').replace(/^gcodes\//, ''))).rel;
  }

  /** A file to download, opened: "gcodes" + "sub/x.gcode" (see FileToSend). */
  async openToSend(rootName: string, rel: string): Promise<FileToSend> {
    const p = await this.roots.resolve(rootName, rel);
    const what = `${rootName}/${p.rel}`;
    let fh: FileHandle;
    try {
      fh = await openInRoot(p.root.path, p.abs);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(`File does not exist (${what})`);
      throw fsApiError(err);
    }
    return describeOpen(fh, basename(p.abs), () => badRequest(`Not a file (${what})`));
  }

  /** A file of a root: "gcodes" + "sub/x.gcode", checked to be a file (it is not opened). */
  private async fileToRead(rootName: string, rel: string): Promise<RootPath & { size: number; modified: number }> {
    const p = await this.roots.resolve(rootName, rel);
    const st = await stat(p.abs).catch(() => undefined);
    if (!st) throw notFound(`File does not exist (${rootName}/${p.rel})`);
    if (!st.isFile()) throw badRequest(`Not a file (${rootName}/${p.rel})`);
    return { ...p, ...statOf(st) };
  }

  // ---------------------------------------------------------------------------------------------
  // Changing

  private emit(change: FileChange): FileChange {
    this.changes$.next(change);
    return change;
  }

  makeDirectory(prefixed: string): Promise<FileChange> {
    return fsGuard(this.doMakeDirectory(prefixed));
  }

  private async doMakeDirectory(prefixed: string): Promise<FileChange> {
    const p = await this.roots.resolvePrefixed(prefixed, { write: true });
    if (p.rel === '') throw badRequest(`Directory already exists (${prefixed})`);
    try {
      await withPinned(p.root.path, p.abs, async (at) => {
        await mkdir(at.path);
        await syncDir(at.dir);
      });
    } catch (err) {
      if (errno(err) === 'EEXIST') throw badRequest(`Directory already exists (${prefixed})`);
      if (errno(err) === 'ENOENT') throw notFound(`Parent directory does not exist (${prefixed})`);
      throw err;
    }
    const st = statOf(await stat(p.abs));
    this.watcherFor(p.root)?.record(p.rel, { dir: true, ...st });
    return this.emit({ action: 'create_dir', item: { root: p.root.name, path: p.rel, ...st } });
  }

  deleteDirectory(prefixed: string, force: boolean): Promise<FileChange> {
    return fsGuard(this.doDeleteDirectory(prefixed, force));
  }

  private async doDeleteDirectory(prefixed: string, force: boolean): Promise<FileChange> {
    const p = await this.roots.resolvePrefixed(prefixed, { write: true });
    if (p.rel === '') throw badRequest('Cannot delete root directory');
    const st = await lstat(p.abs).catch(() => undefined);
    if (!st) throw notFound(`Directory does not exist (${prefixed})`);
    if (!st.isDirectory()) throw badRequest(`Not a directory (${prefixed})`);
    const before = statOf(st);
    if (force) {
      this.inUse.check(p.root.name, p.rel);
      const release = this.hold([p]);
      try {
        await withPinned(p.root.path, p.abs, async (at) => {
          await rm(at.path, { recursive: true, force: true });
          await syncDir(at.dir);
        });
      } finally {
        this.watcherFor(p.root)?.forget(p.rel);
        release();
      }
    } else {
      try {
        await withPinned(p.root.path, p.abs, async (at) => {
          await rmdir(at.path);
          await syncDir(at.dir);
        });
      } catch (err) {
        if (errno(err) === 'ENOTEMPTY' || errno(err) === 'EEXIST') {
          throw badRequest(`Directory not empty (${prefixed}): use force=true to delete it with its contents`);
        }
        throw err;
      }
      this.watcherFor(p.root)?.forget(p.rel);
    }
    if (p.root.name === 'gcodes') this.metadata.removeTree(p.rel);
    return this.emit({ action: 'delete_dir', item: { root: p.root.name, path: p.rel, ...before } });
  }

  async deleteFile(prefixed: string): Promise<FileChange> {
    return this.deleteResolved(await this.roots.resolvePrefixed(prefixed, { write: true }));
  }

  async deleteFileIn(rootName: string, rel: string): Promise<FileChange> {
    return this.deleteResolved(await this.roots.resolve(rootName, rel, { write: true }));
  }

  private deleteResolved(p: RootPath): Promise<FileChange> {
    return fsGuard(this.doDeleteResolved(p));
  }

  private async doDeleteResolved(p: RootPath): Promise<FileChange> {
    const shown = `${p.root.name}/${p.rel}`;
    const st = await lstat(p.abs).catch(() => undefined);
    if (!st || p.rel === '') throw notFound(`File does not exist (${shown})`);
    if (st.isDirectory()) throw badRequest(`${shown} is a directory: use delete_directory`);
    this.inUse.check(p.root.name, p.rel);
    await withPinned(p.root.path, p.abs, async (at) => {
      await unlink(at.path);
      await syncDir(at.dir);
    });
    this.watcherFor(p.root)?.forget(p.rel);
    if (p.root.name === 'gcodes') this.metadata.remove(p.rel);
    return this.emit({ action: 'delete_file', item: { root: p.root.name, path: p.rel, ...statOf(st) } });
  }

  /**
   * Where a move or copy lands: into `dest` when it is an existing folder (as shutil does),
   * else at `dest` itself.
   */
  private async destinationFor(src: RootPath, dest: RootPath, srcIsDir: boolean): Promise<RootPath> {
    const dstStat = await stat(dest.abs).catch(() => undefined);
    let target = dest;
    if (dstStat?.isDirectory()) target = await this.roots.resolve(dest.root.name, [...(dest.rel ? dest.rel.split('/') : []), basename(src.abs)], { write: true });
    else if (dest.rel === '') throw badRequest('Invalid destination: the root itself');
    if (srcIsDir && (await landsInside(src.abs, target.abs))) {
      throw badRequest(`Cannot move or copy a directory into itself (${src.root.name}/${src.rel})`);
    }
    const parent = await stat(join(target.abs, '..')).catch(() => undefined);
    if (!parent?.isDirectory()) throw notFound(`Destination directory does not exist (${target.root.name}/${target.rel})`);
    const existing = await lstat(target.abs).catch(() => undefined);
    if (existing) {
      if (srcIsDir || existing.isDirectory()) throw badRequest(`Destination already exists (${target.root.name}/${target.rel})`);
      this.inUse.check(target.root.name, target.rel);
    }
    return target;
  }

  move(source: string, dest: string): Promise<FileChange> {
    return fsGuard(this.doMove(source, dest));
  }

  private async doMove(source: string, dest: string): Promise<FileChange> {
    const src = await this.roots.resolvePrefixed(source, { write: true, what: 'source' });
    const dst = await this.roots.resolvePrefixed(dest, { write: true, what: 'dest' });
    if (src.rel === '') throw badRequest('Cannot move a root directory');
    const st = await lstat(src.abs).catch(() => undefined);
    if (!st) throw notFound(`File does not exist (${source})`);
    this.inUse.check(src.root.name, src.rel);
    const target = await this.destinationFor(src, dst, st.isDirectory());
    if (target.root.path === src.root.path && target.rel === src.rel) throw badRequest('Source and destination are the same');
    const release = this.hold([src, target]);
    try {
      // Both ends named through their folders held open (src/fs/safeWrite.ts).
      await withPinned(src.root.path, src.abs, (from) =>
        withPinned(target.root.path, target.abs, async (to) => {
          try {
            await rename(from.path, to.path);
          } catch (err) {
            if (errno(err) !== 'EXDEV') throw err;
            // Another filesystem: copy, then remove the source. A file goes through a temp beside
            // its target (never written through a link there); a folder's target does not exist.
            if (st.isDirectory()) await cp(from.path, to.path, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
            else await copyOver(from.path, to.path);
            await syncTree(to.path);
            await rm(from.path, { recursive: true, force: true });
          }
          // Acknowledged means on disk: both folders' entries are synced.
          await syncDir(to.dir);
          await syncDir(from.dir);
        }),
      );
      this.watcherFor(src.root)?.forget(src.rel);
      await this.recordTree(target.root, target.rel);
    } finally {
      release();
    }
    const after = statOf(await stat(target.abs));
    if (src.root.name === 'gcodes' && target.root.name === 'gcodes') await this.metadata.move(src.rel, target.rel);
    else if (src.root.name === 'gcodes') this.metadata.removeTree(src.rel);
    const change = this.emit({
      action: st.isDirectory() ? 'move_dir' : 'move_file',
      item: { root: target.root.name, path: target.rel, ...after },
      source: { root: src.root.name, path: src.rel },
    });
    if (target.root.name === 'gcodes') this.refreshMetadataUnder(target, st.isDirectory());
    return change;
  }

  copy(source: string, dest: string): Promise<FileChange> {
    return fsGuard(this.doCopy(source, dest));
  }

  private async doCopy(source: string, dest: string): Promise<FileChange> {
    const src = await this.roots.resolvePrefixed(source, { what: 'source' });
    const dst = await this.roots.resolvePrefixed(dest, { write: true, what: 'dest' });
    const st = await stat(src.abs).catch(() => undefined);
    if (!st) throw notFound(`File does not exist (${source})`);
    const target = await this.destinationFor(src, dst, st.isDirectory());
    if (target.root.path === src.root.path && target.rel === src.rel) throw badRequest('Source and destination are the same');
    const replaced = (await lstat(target.abs).catch(() => undefined)) !== undefined;
    const release = this.hold([target]);
    try {
      await withPinned(target.root.path, target.abs, async (to) => {
        if (!st.isDirectory()) return copyOver(src.abs, to.path);
        await cp(src.abs, to.path, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
        await syncTree(to.path);
        await syncDir(to.dir);
      });
      await this.recordTree(target.root, target.rel);
    } finally {
      release();
    }
    const after = statOf(await stat(target.abs));
    const change = this.emit({
      action: st.isDirectory() ? 'create_dir' : replaced ? 'modify_file' : 'create_file',
      item: { root: target.root.name, path: target.rel, ...after },
      source: { root: src.root.name, path: src.rel },
    });
    if (target.root.name === 'gcodes') this.refreshMetadataUnder(target, st.isDirectory());
    return change;
  }

  /**
   * server.files.zip: the files named by `items` ("root/path"; a folder gives the files directly
   * in it, as Moonraker), streamed into a zip at `dest` (default config/collection-<time>.zip).
   * Every item and every file of a folder goes through the roots' safe-path checks: a link that
   * leads out of its root is refused as an item and left out of a folder.
   */
  async zip(items: string[], dest: string | undefined, storeOnly: boolean): Promise<FileChange> {
    const dst = await this.roots.resolvePrefixed(dest ?? `config/collection-${localStamp(new Date())}.zip`, { write: true, what: 'dest' });
    const shown = `${dst.root.name}/${dst.rel}`;
    const existing = await stat(dst.abs).catch(() => undefined);
    if (dst.rel === '' || existing?.isDirectory()) throw badRequest(`Cannot create archive at '${shown}': path exists as a directory`);
    const parent = await stat(join(dst.abs, '..')).catch(() => undefined);
    if (!parent?.isDirectory()) throw badRequest(`Cannot create archive at '${shown}': parent directory does not exist`);
    if (items.length === 0) throw badRequest('At least one file or directory must be specified');

    const entries: ZipEntry[] = [];
    const seen = new Set<string>();
    const add = (p: RootPath, st: { dev: number; ino: number; mtimeMs: number }) => {
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) return;
      seen.add(id);
      entries.push({ abs: p.abs, name: `${p.root.name}/${p.rel}`, modified: st.mtimeMs / 1000 });
    };
    for (const item of items) {
      const p = await this.roots.resolvePrefixed(item, { what: 'item' });
      const st = await stat(p.abs).catch(() => undefined);
      if (!st) throw notFound(`No file or directory at '${item}'`);
      if (st.isFile()) {
        add(p, st);
        continue;
      }
      if (!st.isDirectory()) throw badRequest(`Item at '${item}' is not a file or directory`);
      const names = await readdir(p.abs).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (isUploadTemp(name)) continue;
        const child = await this.roots.resolve(p.root.name, [...(p.rel ? p.rel.split('/') : []), name]).catch(() => undefined);
        const cst = child && (await stat(child.abs).catch(() => undefined));
        if (child && cst?.isFile()) add(child, cst);
      }
    }
    const release = this.hold([dst]);
    try {
      await writeZip(entries, dst.abs, storeOnly);
    } finally {
      release();
    }
    const st = statOf(await stat(dst.abs));
    this.watcherFor(dst.root)?.record(dst.rel, { dir: false, ...st });
    // Moonraker calls it create_file, a replaced archive too.
    return this.emit({ action: 'create_file', item: { root: dst.root.name, path: dst.rel, ...st } });
  }

  /** Parses (in the background) the gcode files at or under a path that just arrived in gcodes. */
  private refreshMetadataUnder(p: RootPath, isDir: boolean): void {
    const w = this.watcherFor(p.root);
    if (!isDir) {
      void stat(p.abs).then(
        (s) => {
          if (!isGcodeFile(p.rel)) return;
          const cached = this.metadata.cached(p.rel, statOf(s));
          if (cached) this.metadata$.next({ filename: p.rel, metadata: cached });
          else this.metadata.refresh(p.rel, p.abs, statOf(s));
        },
        () => undefined,
      );
      return;
    }
    if (!w) return;
    for (const [rel, e] of w.entries()) {
      if (e.dir || !isGcodeFile(rel) || !(rel === p.rel || rel.startsWith(p.rel + '/'))) continue;
      const cached = this.metadata.cached(rel, e);
      if (cached) this.metadata$.next({ filename: rel, metadata: cached });
      else this.metadata.refresh(rel, join(p.root.path, rel), e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Uploads (src/fs/upload.ts streams the bytes; these place them)

  /** Records a file the upload put in place and reports it; gcode metadata is parsed after. */
  async commitUpload(p: RootPath): Promise<FileChange> {
    const st = statOf(await stat(p.abs));
    this.watcherFor(p.root)?.record(p.rel, { dir: false, ...st });
    // Moonraker calls every upload create_file, an overwrite too.
    const change = this.emit({ action: 'create_file', item: { root: p.root.name, path: p.rel, ...st } });
    if (p.root.name === 'gcodes' && isGcodeFile(p.rel)) this.metadata.refresh(p.rel, p.abs, st);
    return change;
  }

  /** Whether uploads are synced to disk before they are acknowledged. */
  get fsyncUploads(): boolean {
    return this.opts.fsyncUploads ?? true;
  }

  /** Holds the watcher off a path while an upload is being placed there. */
  holdPath(p: RootPath): () => void {
    return this.hold([p]);
  }
}

/** "20250131-235959" in local time, as Moonraker names a default archive. */
function localStamp(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}-${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
}
