// A Moonraker user's database comes along: on the first start on their printer_data, what
// today's Moonraker keeps in {data_path}/database/moonraker-sql.db (the UIs' settings,
// webcams, announcements and other clients' namespaces, print history and totals) is copied
// into our store, once, so Mainsail and Fluidd open with the user's settings and history.
//
// Moonraker's file is never touched: we copy it (and a journal beside it, if any) to a private
// temp folder with a plain read, and open only the copy. Its schema, as Moonraker's
// components/database.py and history.py define it:
//   namespace_store(namespace, key, value record)  value = one type byte then the data:
//     'q' int64, 'd' float64, '?' bool (little-endian, as Moonraker's hosts are), 's' UTF-8
//     text, '[' / '{' JSON text (the byte is the JSON's own first character), 0x00 null
//   job_history(job_id INTEGER, user, filename, status, start_time, end_time, print_duration,
//     total_duration, filament_used, metadata JSON, auxiliary_data JSON, instance_id)
//   job_totals(provider, field, maximum, total, instance_id)
import BetterSqlite3 from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from './database.js';
import { formatJobId } from '../shared/jobId.js';
import { getLogger } from '../logger.js';

const log = getLogger('database');

export const MOONRAKER_SQL_DB = 'moonraker-sql.db';

/** Where we note that the import ran (our own namespace: never one a client or Moonraker uses). */
export const IMPORT_MARK = { namespace: 'moonstate', key: 'moonraker_import' } as const;

/**
 * Moonraker's own bookkeeping, rebuilt by us or meaningless here: its internal state
 * (`moonraker`: database version, update manager, file manager settings), the gcode metadata
 * cache (we parse files ourselves), the update manager's and the database's own namespaces.
 */
const NOT_IMPORTED = new Set(['moonraker', 'gcode_metadata', 'update_manager', 'database']);

/** One Moonraker record value, decoded; throws on a type byte Moonraker does not write. */
export function decodeRecord(value: Buffer): unknown {
  if (value.length === 0) throw new Error('empty record');
  const type = value[0]!;
  switch (type) {
    case 0x71: // q
      return Number(value.readBigInt64LE(1));
    case 0x64: // d
      return value.readDoubleLE(1);
    case 0x3f: // ?
      return value[1] !== 0;
    case 0x73: // s
      return value.subarray(1).toString('utf8');
    case 0x5b: // [
    case 0x7b: // {
      return JSON.parse(value.toString('utf8')) as unknown;
    case 0x00:
      return null;
    default:
      throw new Error(`unknown record type ${type}`);
  }
}

interface HistoryRow {
  job_id: number;
  user: string;
  filename: string | null;
  status: string;
  start_time: number;
  end_time: number | null;
  print_duration: number;
  total_duration: number;
  filament_used: number;
  metadata: string | null;
  auxiliary_data: string | null;
}

interface TotalsRow {
  provider: string;
  field: string;
  maximum: number | null;
  total: number | null;
}

const jsonOr = <T>(text: string | null, fallback: T): T => {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

function tableExists(db: BetterSqlite3.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

export interface ImportReport {
  namespaces: string[];
  jobs: number;
  totals: boolean;
}

/** Reads a copy of Moonraker's database into plain values; throws if it is not one. */
function readMoonrakerDb(file: string): { items: Array<[string, string, unknown]>; jobs: HistoryRow[]; totals: TotalsRow[] } {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-import-'));
  try {
    const copy = join(dir, MOONRAKER_SQL_DB);
    copyFileSync(file, copy);
    // A hot journal beside it holds a transaction Moonraker did not finish; SQLite rolls the copy back.
    if (existsSync(`${file}-journal`)) copyFileSync(`${file}-journal`, `${copy}-journal`);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    const db = new BetterSqlite3(copy, { fileMustExist: true });
    try {
      if (!tableExists(db, 'namespace_store')) throw new Error('no namespace_store table: not a Moonraker database');
      const items: Array<[string, string, unknown]> = [];
      for (const row of db.prepare('SELECT namespace, key, value FROM namespace_store').iterate() as Iterable<{ namespace: string; key: string; value: Buffer | string }>) {
        try {
          items.push([row.namespace, row.key, decodeRecord(Buffer.isBuffer(row.value) ? row.value : Buffer.from(row.value, 'utf8'))]);
        } catch (err) {
          log.warn(`Moonraker database: skipping ${row.namespace}/${row.key}: ${(err as Error).message}`);
        }
      }
      const jobs = tableExists(db, 'job_history') ? (db.prepare('SELECT * FROM job_history ORDER BY job_id').all() as HistoryRow[]) : [];
      const totals = tableExists(db, 'job_totals') ? (db.prepare("SELECT * FROM job_totals WHERE provider = 'history'").all() as TotalsRow[]) : [];
      return { items, jobs, totals };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Imports `{databaseDir}/moonraker-sql.db` into `store` unless done before. Namespaces our store
 * already has are left as they are (ours win). Never throws: a damaged file is logged and the
 * server starts without it (and tries again next start).
 */
export function importMoonrakerDatabase(store: Database, databaseDir: string, opts: { historyNamespace: string; totalsNamespace: string; totalsKey: string }): ImportReport | undefined {
  const file = join(databaseDir, MOONRAKER_SQL_DB);
  if (!existsSync(file)) return undefined;
  try {
    store.get(IMPORT_MARK.namespace, IMPORT_MARK.key);
    return undefined; // imported at an earlier start
  } catch {
    /* not yet */
  }
  let read: ReturnType<typeof readMoonrakerDb>;
  try {
    read = readMoonrakerDb(file);
  } catch (err) {
    log.error(`could not import Moonraker's database (${MOONRAKER_SQL_DB}): ${(err as Error).message}`);
    return undefined;
  }
  const ours = new Set(store.namespaces());
  const imported = new Set<string>();
  for (const [ns, key, value] of read.items) {
    if (NOT_IMPORTED.has(ns) || ns === IMPORT_MARK.namespace || ours.has(ns)) continue;
    try {
      store.put(ns, [key], value);
      imported.add(ns);
    } catch (err) {
      log.warn(`Moonraker database: skipping ${ns}/${key}: ${(err as Error).message}`);
    }
  }
  let jobs = 0;
  if (!ours.has(opts.historyNamespace)) {
    for (const r of read.jobs) {
      store.put(opts.historyNamespace, [formatJobId(r.job_id)], {
        user: r.user,
        filename: r.filename ?? '',
        status: r.status,
        start_time: r.start_time,
        end_time: r.end_time,
        print_duration: r.print_duration,
        total_duration: r.total_duration,
        filament_used: r.filament_used,
        metadata: jsonOr<Record<string, unknown>>(r.metadata, {}),
        auxiliary_data: jsonOr<unknown[]>(r.auxiliary_data, []),
      });
      jobs++;
    }
  }
  let totals = false;
  if (read.totals.length > 0) {
    let existing: unknown;
    try {
      existing = store.get(opts.totalsNamespace, opts.totalsKey);
    } catch {
      existing = undefined;
    }
    if (existing === undefined) {
      const jobTotals: Record<string, number> = {};
      for (const t of read.totals) jobTotals[t.field] = (t.field.startsWith('total_') ? t.total : t.maximum) ?? 0;
      store.put(opts.totalsNamespace, opts.totalsKey, { job_totals: jobTotals, aux_totals: [] });
      totals = true;
    }
  }
  const report: ImportReport = { namespaces: [...imported].sort(), jobs, totals };
  store.put(IMPORT_MARK.namespace, IMPORT_MARK.key, { source: MOONRAKER_SQL_DB, imported_at: Date.now() / 1000, ...report });
  log.info(`imported Moonraker's database: namespaces ${report.namespaces.join(', ') || '(none)'}; ${jobs} history jobs${totals ? ', totals' : ''}`);
  return report;
}
