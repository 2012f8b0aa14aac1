// The named folders clients can reach ("roots"), Moonraker's: gcodes and config (read/write),
// logs, and Klipper's config_examples and docs (read-only). A root is
// either available with a path on disk, or absent with the reason a client is told. Roots can
// change at run time (Klippy reports its virtual_sdcard path once it is ready); `changes$`
// lets the watcher and the metadata scan follow.
import { Subject } from 'rxjs';
import { badRequest, notAllowed, ServerError, type ErrorKind } from '../shared/errors.js';
import { relativeSegments, resolveInRoot, type ResolvedPath } from './safePath.js';

export type RootName = 'gcodes' | 'config' | 'config_examples' | 'docs' | 'logs';
export const ROOT_NAMES: readonly RootName[] = ['gcodes', 'config', 'config_examples', 'docs', 'logs'];
/**
 * Roots whose changes made by hand are noticed and announced: Moonraker's "full access" roots.
 * The others are read-only (and logs changes with every line we log).
 */
export const isWatchedRoot = (name: RootName): boolean => name === 'gcodes' || name === 'config';

export interface Root {
  name: RootName;
  path: string;
  writable: boolean;
}

interface RootState {
  path: string | undefined;
  writable: boolean;
  /** Told to clients while the root has no path. */
  absentReason: string;
  absentKind: ErrorKind;
}

export interface RootPath extends ResolvedPath {
  root: Root;
}

export class FileRoots {
  private readonly roots = new Map<RootName, RootState>();
  readonly changes$ = new Subject<{ name: RootName; path: string | undefined }>();

  constructor() {
    this.roots.set('gcodes', { path: undefined, writable: true, absentReason: 'not known yet: Klippy has not reported its virtual_sdcard path', absentKind: 'unavailable' });
    this.roots.set('config', { path: undefined, writable: true, absentReason: 'not configured: set config_path in [file_manager]', absentKind: 'not_found' });
    this.roots.set('config_examples', { path: undefined, writable: false, absentReason: "not available: Klipper's config folder was not found", absentKind: 'not_found' });
    this.roots.set('docs', { path: undefined, writable: false, absentReason: "not available: Klipper's docs folder was not found", absentKind: 'not_found' });
    this.roots.set('logs', { path: undefined, writable: false, absentReason: 'not available', absentKind: 'not_found' });
  }

  /** Sets (or clears, with `path` undefined) where a root lives. */
  set(name: RootName, path: string | undefined, absent?: { reason: string; kind?: ErrorKind }): void {
    const state = this.roots.get(name)!;
    const changed = state.path !== path;
    state.path = path;
    if (absent) {
      state.absentReason = absent.reason;
      state.absentKind = absent.kind ?? 'not_found';
    }
    if (changed) this.changes$.next({ name, path });
  }

  /** Makes a root read-only, or writable again ([file_manager] enable_config_write_access). */
  setWritable(name: RootName, writable: boolean): void {
    this.roots.get(name)!.writable = writable;
  }

  /** The root's path if it is available. */
  pathOf(name: RootName): string | undefined {
    return this.roots.get(name)?.path;
  }

  /** The available roots. */
  available(): Root[] {
    const out: Root[] = [];
    for (const [name, s] of this.roots) if (s.path !== undefined) out.push({ name, path: s.path, writable: s.writable });
    return out;
  }

  /** Whether `name` is one of the roots this server has at all (available or not). */
  has(name: string): boolean {
    return this.roots.has(name as RootName);
  }

  /** The root named `name`, or a clear error: unknown (400) or not available (404/503). */
  get(name: string): Root {
    const s = this.roots.get(name as RootName);
    if (!s) throw badRequest(`Invalid root path (${name})`);
    if (s.path === undefined) throw new ServerError(s.absentKind, `Root '${name}' is ${s.absentReason}`);
    return { name: name as RootName, path: s.path, writable: s.writable };
  }

  /** `get`, refusing a read-only root for a write. */
  writable(name: string): Root {
    const root = this.get(name);
    if (!root.writable) throw notAllowed(`Root '${name}' is read-only`);
    return root;
  }

  /** Resolves a path relative to a named root. */
  async resolve(rootName: string, rel: string | string[], opts: { write?: boolean; what?: string } = {}): Promise<RootPath> {
    const root = opts.write ? this.writable(rootName) : this.get(rootName);
    const r = await resolveInRoot(root.path, rel, root.name, opts.what);
    return { ...r, root };
  }

  /**
   * Resolves a root-prefixed path as clients send it ("gcodes/sub/file.gcode"). A leading "/" is
   * accepted: the root names an API namespace, not a place on disk.
   */
  async resolvePrefixed(prefixed: string, opts: { write?: boolean; what?: string } = {}): Promise<RootPath> {
    const what = opts.what ?? 'path';
    const trimmed = prefixed.replace(/^\/+/, '');
    const segs = relativeSegments(trimmed, what);
    const rootName = segs.shift();
    if (rootName === undefined) throw badRequest(`Invalid ${what}: '${prefixed}' names no root`);
    return this.resolve(rootName, segs, opts);
  }
}
