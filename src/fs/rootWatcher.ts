// Watches one root for changes made outside the API (a file copied in by hand, a folder
// deleted over SMB) and reports them as add / change / remove events.
//
// It keeps a snapshot of the tree (every file's size and mtime). Filesystem events only say
// "look here": after a short quiet period the path is checked against the snapshot and only a
// real difference is reported. The server's own operations update the snapshot themselves
// (`record`, `forget`, `recordTree`) before the events they cause are checked, and `hold`
// defers checks under a path while a long operation (copy, rmtree) is still running, so our own
// changes are never reported a second time.
import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { getLogger } from '../logger.js';
import { isUploadTemp, isWithin } from './safePath.js';

const log = getLogger('watcher');

export interface WatchedEntry {
  dir: boolean;
  size: number;
  /** Unix seconds. */
  modified: number;
}

export type WatchEvent =
  | { kind: 'add' | 'change'; rel: string; entry: WatchedEntry }
  | { kind: 'remove'; rel: string; entry: WatchedEntry };

export interface RootWatcherOptions {
  /** Quiet time after the last filesystem event on a path before it is checked. */
  debounceMs?: number;
  /** Told of each of our temp files (relative path) met while reading the tree at start. */
  onTempFile?: (rel: string) => void;
}

const parentOf = (rel: string) => {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
};
const nameOf = (rel: string) => rel.slice(rel.lastIndexOf('/') + 1);
const under = (prefix: string, rel: string) => prefix === '' || rel === prefix || rel.startsWith(prefix + '/');

export class RootWatcher {
  private readonly known = new Map<string, WatchedEntry>();
  private readonly children = new Map<string, Set<string>>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly holds = new Map<number, string[]>();
  private readonly deferred = new Set<string>();
  private nextHold = 1;
  private closed = false;
  /** The first full read of the tree is done: the snapshot can answer listings. */
  ready = false;
  private readonly debounceMs: number;
  /** Completes when every check started so far has finished (tests, benchmarks). */
  private inflight = new Set<Promise<void>>();

  constructor(
    readonly rootPath: string,
    private readonly onEvent: (ev: WatchEvent) => void,
    opts: RootWatcherOptions = {},
  ) {
    this.debounceMs = opts.debounceMs ?? 150;
    this.onTempFile = opts.onTempFile;
  }

  private readonly onTempFile: ((rel: string) => void) | undefined;
  /** True while start() reads the tree for the first time. */
  private starting = false;

  /** Reads the whole tree into the snapshot (reporting nothing) and starts watching. */
  async start(): Promise<void> {
    this.known.set('', { dir: true, size: 0, modified: 0 });
    this.children.set('', new Set());
    this.watchDir('');
    this.starting = true;
    try {
      await this.scanDir('', false);
    } finally {
      this.starting = false;
    }
    this.ready = !this.closed;
  }

  /** Every file and folder in the snapshot (relative path → entry), the root excluded. */
  *entries(): IterableIterator<[string, WatchedEntry]> {
    for (const [rel, e] of this.known) if (rel !== '') yield [rel, e];
  }

  get(rel: string): WatchedEntry | undefined {
    return this.known.get(rel);
  }

  /** Our own operation created or changed `rel`. */
  record(rel: string, entry: WatchedEntry): void {
    if (rel === '') return;
    this.ensureParents(rel);
    const prev = this.known.get(rel);
    if (prev?.dir && !entry.dir) this.dropTree(rel);
    this.known.set(rel, entry);
    this.children.get(parentOf(rel))?.add(nameOf(rel));
    if (entry.dir) {
      if (!this.children.has(rel)) this.children.set(rel, new Set());
      this.watchDir(rel);
    }
  }

  /** Our own operation removed `rel` (and everything under it). */
  forget(rel: string): void {
    if (rel === '') return;
    this.dropTree(rel);
    this.children.get(parentOf(rel))?.delete(nameOf(rel));
  }

  /** Our own operation created a whole tree at `rel`: read it into the snapshot silently. */
  async recordTree(rel: string): Promise<void> {
    const abs = join(this.rootPath, rel);
    const st = await stat(abs).catch(() => undefined);
    if (!st) return this.forget(rel);
    this.record(rel, { dir: st.isDirectory(), size: st.isDirectory() ? 0 : st.size, modified: st.mtimeMs / 1000 });
    if (st.isDirectory()) await this.scanDir(rel, false);
  }

  /** Defers checks of paths under `rels` until the returned function is called. */
  hold(rels: string[]): () => void {
    const id = this.nextHold++;
    this.holds.set(id, rels);
    return () => {
      this.holds.delete(id);
      const again = [...this.deferred].filter((r) => !this.isHeld(r));
      for (const r of again) {
        this.deferred.delete(r);
        this.schedule(r);
      }
    };
  }

  /** Resolves once no check is pending or running (after the debounce of events seen so far). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.timers.size === 0 && this.inflight.size === 0) return;
      await Promise.all([...this.inflight, new Promise((r) => setTimeout(r, this.debounceMs))]);
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  // -------------------------------------------------------------------------------------------

  private isHeld(rel: string): boolean {
    for (const rels of this.holds.values()) for (const h of rels) if (under(h, rel) || under(rel, h)) return true;
    return false;
  }

  private ensureParents(rel: string): void {
    const parts = rel.split('/');
    let cur = '';
    for (const p of parts.slice(0, -1)) {
      const next = cur === '' ? p : `${cur}/${p}`;
      if (!this.known.has(next)) {
        this.known.set(next, { dir: true, size: 0, modified: Date.now() / 1000 });
        this.children.get(cur)?.add(p);
        this.children.set(next, new Set());
        this.watchDir(next);
      }
      cur = next;
    }
  }

  private dropTree(rel: string): void {
    const kids = this.children.get(rel);
    if (kids) for (const k of kids) this.dropTree(rel === '' ? k : `${rel}/${k}`);
    this.children.delete(rel);
    this.known.delete(rel);
    const w = this.watchers.get(rel);
    if (w) {
      w.close();
      this.watchers.delete(rel);
    }
  }

  private watchDir(rel: string): void {
    if (this.closed || this.watchers.has(rel)) return;
    try {
      const w = watch(join(this.rootPath, rel), { persistent: false }, (_type, filename) => {
        if (filename === null) this.schedule(rel);
        else {
          const name = filename.toString();
          if (!isUploadTemp(nameOf(name))) this.schedule(rel === '' ? name : `${rel}/${name}`);
        }
      });
      w.on('error', () => {
        w.close();
        if (this.watchers.get(rel) === w) this.watchers.delete(rel);
        this.schedule(rel);
      });
      this.watchers.set(rel, w);
    } catch (err) {
      log.debug(`cannot watch ${rel || '/'}: ${(err as Error).message}`);
    }
  }

  private schedule(rel: string, delay = this.debounceMs): void {
    if (this.closed) return;
    const t = this.timers.get(rel);
    if (t) clearTimeout(t);
    this.timers.set(
      rel,
      setTimeout(() => {
        this.timers.delete(rel);
        this.track(this.check(rel));
      }, delay),
    );
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err: Error) => log.warn(`checking a change: ${err.message}`)).finally(() => this.inflight.delete(q));
    this.inflight.add(q);
  }

  private async entryOf(rel: string): Promise<WatchedEntry | undefined> {
    const abs = join(this.rootPath, rel);
    const l = await lstat(abs).catch(() => undefined);
    if (!l) return undefined;
    let st = l;
    if (l.isSymbolicLink()) {
      // A link is followed only when it stays inside the root.
      const target = await realpath(abs).catch(() => undefined);
      const realRoot = await realpath(this.rootPath).catch(() => this.rootPath);
      if (!target || !isWithin(realRoot, target)) return undefined;
      const s = await stat(abs).catch(() => undefined);
      // Linked folders are not descended into: a link to a parent would loop.
      if (!s || s.isDirectory()) return undefined;
      st = s;
    }
    if (st.isDirectory()) return { dir: true, size: 0, modified: st.mtimeMs / 1000 };
    if (st.isFile()) return { dir: false, size: st.size, modified: st.mtimeMs / 1000 };
    return undefined;
  }

  private async check(rel: string): Promise<void> {
    if (this.closed) return;
    if (this.isHeld(rel)) {
      this.deferred.add(rel);
      return;
    }
    if (rel !== '' && !this.known.has(parentOf(rel))) {
      // The parent is new too: checking it reads this path as well.
      this.schedule(parentOf(rel), 0);
      return;
    }
    const now = await this.entryOf(rel);
    if (this.closed || this.isHeld(rel)) {
      if (!this.closed) this.deferred.add(rel);
      return;
    }
    const prev = this.known.get(rel);
    if (!now) {
      if (prev && rel !== '') {
        this.forget(rel);
        this.onEvent({ kind: 'remove', rel, entry: prev });
      }
      return;
    }
    if (now.dir) {
      if (!prev || !prev.dir) {
        if (prev) {
          this.forget(rel);
          this.onEvent({ kind: 'remove', rel, entry: prev });
        }
        this.record(rel, now);
        this.onEvent({ kind: 'add', rel, entry: now });
      }
      await this.scanDir(rel, true);
      return;
    }
    if (prev && prev.size === now.size && Math.abs(prev.modified - now.modified) < 1e-6 && !prev.dir) return;
    // A file still being written: wait until its size and mtime hold still.
    await new Promise((r) => setTimeout(r, Math.min(50, this.debounceMs)));
    const again = await this.entryOf(rel);
    if (!again || again.size !== now.size || again.modified !== now.modified) {
      this.schedule(rel);
      return;
    }
    if (this.isHeld(rel)) {
      this.deferred.add(rel);
      return;
    }
    const latest = this.known.get(rel);
    if (latest && !latest.dir && latest.size === again.size && Math.abs(latest.modified - again.modified) < 1e-6) return;
    if (latest?.dir) {
      this.forget(rel);
      this.onEvent({ kind: 'remove', rel, entry: latest });
    }
    this.record(rel, again);
    this.onEvent({ kind: latest && !latest.dir ? 'change' : 'add', rel, entry: again });
  }

  /** Reads a folder; with `report`, new entries are checked and vanished ones reported. */
  private async scanDir(rel: string, report: boolean): Promise<void> {
    const abs = join(this.rootPath, rel);
    const names = await readdir(abs).catch(() => undefined);
    if (!names) return;
    const kids = this.children.get(rel) ?? new Set<string>();
    this.children.set(rel, kids);
    const seen = new Set<string>();
    const fresh: string[] = [];
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (isUploadTemp(name)) {
        if (this.starting) this.onTempFile?.(childRel);
        continue;
      }
      seen.add(name);
      if (!report) fresh.push(childRel);
      else if (!this.known.has(childRel)) this.track(this.check(childRel));
    }
    if (!report) {
      // Initial or silent read: stat in batches, recurse into folders.
      for (let i = 0; i < fresh.length; i += 256) {
        const batch = fresh.slice(i, i + 256);
        const entries = await Promise.all(batch.map((r) => this.entryOf(r)));
        const dirs: string[] = [];
        batch.forEach((r, j) => {
          const e = entries[j];
          if (!e) return;
          this.known.set(r, e);
          kids.add(nameOf(r));
          if (e.dir) {
            if (!this.children.has(r)) this.children.set(r, new Set());
            this.watchDir(r);
            dirs.push(r);
          }
        });
        for (const d of dirs) await this.scanDir(d, false);
      }
      return;
    }
    for (const name of [...kids]) {
      if (seen.has(name)) continue;
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const prev = this.known.get(childRel);
      if (!prev || this.isHeld(childRel)) continue;
      this.forget(childRel);
      this.onEvent({ kind: 'remove', rel: childRel, entry: prev });
    }
  }
}
