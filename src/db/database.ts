// moonstate's embedded store: namespaces of JSON items, as Moonraker's database presents them
// (server.database.*), on LMDB. LMDB commits are atomic and synced before a write returns, so a
// crash mid-write loses nothing committed; lmdb-js ships prebuilt binaries for the Raspberry
// Pi's architectures inside its npm packages, so installing needs no compiler.
//
// Each top-level key of a namespace is one record; a dotted key (`a.b.c`) reads or writes inside
// that record's JSON value, in one transaction.
import { open, type Database as LmdbDatabase, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { ApiError } from '../transport/apiError.js';

export type ItemKey = string | string[];

export function splitKey(key: ItemKey): string[] {
  const parts = Array.isArray(key) ? key.map(String) : key.split('.');
  if (parts.length === 0 || parts.some((p) => p === '')) throw new ApiError(400, `Invalid key: ${JSON.stringify(key)}`);
  return parts;
}

const keyText = (parts: string[]) => parts.join('.');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Database {
  private readonly root: RootDatabase;
  /** [namespace, topKey] → value */
  private readonly items: LmdbDatabase<unknown, [string, string]>;

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    this.root = open({ path, maxDbs: 8, encoding: 'json' });
    this.items = this.root.openDB<unknown, [string, string]>({ name: 'items', encoding: 'json' });
  }

  namespaces(): string[] {
    const out: string[] = [];
    let last: string | undefined;
    for (const [ns] of this.items.getKeys()) {
      if (ns !== last) out.push(ns);
      last = ns;
    }
    return out;
  }

  hasNamespace(ns: string): boolean {
    for (const _ of this.items.getKeys({ start: [ns, ''], end: [ns, '\uffff'], limit: 1 })) return true;
    return false;
  }

  /** The whole namespace as an object of its top-level keys. */
  namespace(ns: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const { key, value } of this.items.getRange({ start: [ns, ''], end: [ns, '\uffff'] })) out[key[1]] = value;
    return out;
  }

  /** Reads a namespace (no key) or one item; 404 when absent, with Moonraker's wording. */
  get(ns: string, key?: ItemKey): unknown {
    if (key === undefined) {
      if (!this.hasNamespace(ns)) throw new ApiError(404, `Namespace '${ns}' not found`);
      return this.namespace(ns);
    }
    const parts = splitKey(key);
    let value: unknown = this.items.get([ns, parts[0]!]);
    for (const p of parts.slice(1)) {
      value = isRecord(value) ? value[p] : undefined;
    }
    if (value === undefined) throw new ApiError(404, `Key '${keyText(parts)}' in namespace '${ns}' not found`);
    return value;
  }

  /** Writes one item, creating intermediate objects for a dotted key. Returns the value stored. */
  put(ns: string, key: ItemKey, value: unknown): unknown {
    if (value === undefined) throw new ApiError(400, 'A value is required');
    const parts = splitKey(key);
    this.items.transactionSync(() => {
      const top = parts[0]!;
      if (parts.length === 1) {
        this.items.putSync([ns, top], value);
        return;
      }
      const current = this.items.get([ns, top]);
      const record = isRecord(current) ? structuredClone(current) : {};
      let cursor = record;
      for (const p of parts.slice(1, -1)) {
        if (!isRecord(cursor[p])) cursor[p] = {};
        cursor = cursor[p] as Record<string, unknown>;
      }
      cursor[parts.at(-1)!] = value;
      this.items.putSync([ns, top], record);
    });
    return value;
  }

  /** Removes one item (or a nested key inside one) and returns what was there. */
  delete(ns: string, key: ItemKey): unknown {
    const parts = splitKey(key);
    return this.items.transactionSync(() => {
      const top = parts[0]!;
      const current = this.items.get([ns, top]);
      if (parts.length === 1) {
        if (current === undefined) throw new ApiError(404, `Key '${keyText(parts)}' in namespace '${ns}' not found`);
        this.items.removeSync([ns, top]);
        return current;
      }
      const record = isRecord(current) ? structuredClone(current) : undefined;
      let cursor: Record<string, unknown> | undefined = record;
      for (const p of parts.slice(1, -1)) cursor = cursor && isRecord(cursor[p]) ? (cursor[p]) : undefined;
      const last = parts.at(-1)!;
      if (!cursor || !(last in cursor)) throw new ApiError(404, `Key '${keyText(parts)}' in namespace '${ns}' not found`);
      const removed = cursor[last];
      delete cursor[last];
      this.items.putSync([ns, top], record);
      return removed;
    });
  }

  /** Removes every item of a namespace. */
  clearNamespace(ns: string): void {
    this.items.transactionSync(() => {
      for (const key of this.items.getKeys({ start: [ns, ''], end: [ns, '\uffff'] })) this.items.removeSync(key);
    });
  }

  /** The top-level keys of a namespace, without reading their values. */
  keys(ns: string): string[] {
    const out: string[] = [];
    for (const key of this.items.getKeys({ start: [ns, ''], end: [ns, '\uffff'] })) out.push(key[1]);
    return out;
  }

  /**
   * Writes one top-level item without blocking: LMDB batches asynchronous writes and commits
   * them off the event loop (for bulk writers such as the metadata cache).
   */
  async putAsync(ns: string, topKey: string, value: unknown): Promise<void> {
    await this.items.put([ns, topKey], value);
  }

  /** Removes one top-level item without blocking; absent items are no error. */
  async removeAsync(ns: string, topKey: string): Promise<void> {
    await this.items.remove([ns, topKey]);
  }

  /** A consistent copy of the whole store to `path` (a file), compacted. */
  backup(path: string): Promise<void> {
    return this.root.backup(path, true);
  }

  close(): Promise<void> {
    return this.root.close();
  }
}
