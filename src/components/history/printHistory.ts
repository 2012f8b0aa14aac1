// Print history as Moonraker keeps it (server.history.*): one entry per job, written when the
// print job machine announces a start (`in_progress`) and rewritten when it announces the end
// (completed, cancelled, error, klippy_shutdown, klippy_disconnect), plus running totals. Fed
// only by the machine's events, so prints started from a macro, the LCD or the queue are
// recorded alike.
//
// Stored in the database so it survives restarts: namespace `history` holds the jobs, keyed by
// their id in hex; `moonraker` / `history` holds the totals. An entry still `in_progress` when the
// server starts was cut short by a stop of the server and is marked `interrupted`, as Moonraker
// does. When the same print is then seen still running (the machine's job with observedStart =
// false), that entry is taken up again instead of starting a second one for the same print.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Database } from '../../db/database.js';
import type { Job, JobEndStatus, PrintJobEmitted } from '../../machines/printJob.machine.js';
import { badRequest, notFound } from '../../shared/errors.js';
import { getLogger } from '../../logger.js';
import { formatJobId } from '../../shared/jobId.js';

const log = getLogger('history');

export type HistoryStatus = 'in_progress' | 'interrupted' | JobEndStatus;

/** A job as stored: Moonraker's fields less the id (the key) and `exists` (read at query time). */
export interface StoredJob {
  user: string;
  filename: string;
  status: HistoryStatus;
  start_time: number;
  end_time: number | null;
  print_duration: number;
  total_duration: number;
  filament_used: number;
  metadata: Record<string, unknown>;
  auxiliary_data: unknown[];
}

export interface HistoryJob extends StoredJob {
  job_id: string;
  /** The file is still in gcodes and unchanged since the job. */
  exists: boolean;
}

export interface JobTotals {
  total_jobs: number;
  total_time: number;
  total_print_time: number;
  total_filament_used: number;
  longest_job: number;
  longest_print: number;
}

export interface HistoryChange {
  action: 'added' | 'finished';
  job: HistoryJob;
}

export interface ListQuery {
  limit: number;
  start: number;
  since?: number | undefined;
  before?: number | undefined;
  order: string;
}

export const HISTORY_NAMESPACE = 'history';
export const TOTALS_NAMESPACE = 'moonraker';
export const TOTALS_KEY = 'history';
/** Moonraker's name for a job started without a known user. */
export const NO_USER = 'No User';
/** How far apart two start times may be and still be the same print (clock and report jitter). */
const SAME_PRINT_SECONDS = 60;

const zeroTotals = (): JobTotals => ({
  total_jobs: 0,
  total_time: 0,
  total_print_time: 0,
  total_filament_used: 0,
  longest_job: 0,
  longest_print: 0,
});

/** A job id as a client sends it (Moonraker's hex, see shared/jobId.ts), or undefined. */
function parseJobId(uid: string): number | undefined {
  if (!/^[0-9a-fA-F]{1,12}$/.test(uid.trim())) return undefined;
  return parseInt(uid.trim(), 16);
}

/** Gcode metadata for a file (relative to gcodes), or undefined when there is none. */
export type MetadataSource = (filename: string) => Promise<Record<string, unknown> | undefined>;

export interface HistoryOptions {
  database: Database;
  /** The print job machine's announcements. */
  jobEvents: Observable<PrintJobEmitted>;
  /** Absolute path of the gcodes root (it may come from Klippy, so it is asked each time). */
  gcodesPath: () => string | undefined;
  /**
   * Metadata recorded with each job: the file manager's (thumbnails, slicer, estimate…). Without
   * it, or for a file it has none of, the file's size and modified time.
   */
  metadata?: MetadataSource;
  /** Told of each job written with its file (start time and job id), for the file's metadata. */
  jobRecorded?: (filename: string, startTime: number, jobId: string) => Promise<void>;
}

export class PrintHistory {
  private readonly db: Database;
  private readonly gcodesPath: () => string | undefined;
  private readonly metadataFor: MetadataSource;
  /** id → the fields list filters read, so a page is read from the database by key. */
  private readonly index = new Map<number, { start: number; end: number | null }>();
  private totalsValue: JobTotals;
  /** The entry of the job the machine says is running, once written. */
  private currentId: number | null = null;
  /** True between a job's start announcement and its end announcement. */
  private jobActive = false;
  /** Job events are handled one at a time, in order (metadata reads are async). */
  private work: Promise<void> = Promise.resolve();
  private readonly changesSubject = new Subject<HistoryChange>();
  private subscription: Subscription | undefined;

  /** notify_history_changed payloads. */
  readonly changes$: Observable<HistoryChange> = this.changesSubject.asObservable();

  constructor(private readonly opts: HistoryOptions) {
    this.db = opts.database;
    this.gcodesPath = opts.gcodesPath;
    const source = opts.metadata;
    this.metadataFor = source ? async (f) => (await source(f)) ?? (await this.fileStat(f)) : (f) => this.fileStat(f);
    this.totalsValue = this.loadTotals();
    const interrupted: string[] = [];
    for (const [key, value] of Object.entries(this.db.namespace(HISTORY_NAMESPACE))) {
      const id = parseJobId(key);
      const job = value as StoredJob;
      if (id === undefined || typeof job !== 'object' || job === null) continue;
      if (job.status === 'in_progress') {
        job.status = 'interrupted';
        this.db.put(HISTORY_NAMESPACE, key, job);
        interrupted.push(key);
      }
      this.index.set(id, { start: job.start_time, end: job.end_time });
    }
    if (interrupted.length) log.info(`jobs interrupted by the last stop: ${interrupted.join(', ')}`);
  }

  start(): void {
    this.subscription = this.opts.jobEvents.subscribe((ev) => {
      // jobActive follows the announcements as they come; the writes follow in order.
      if (ev.type === 'job.started') {
        this.jobActive = true;
        this.enqueue(() => this.onStarted(ev.job));
      } else if (ev.type === 'job.finished') {
        this.jobActive = false;
        this.enqueue(() => this.onFinished(ev.job, ev.status));
      }
    });
  }

  /** Stops listening and waits for the last event to be written. */
  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.work;
    this.changesSubject.complete();
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work.then(step).catch((err: unknown) => log.error(`recording a job failed: ${String(err)}`));
  }

  // --- recording -------------------------------------------------------------------------

  private async onStarted(job: Job): Promise<void> {
    const metadata = (await this.metadataFor(job.filename)) ?? {};
    const resumed = job.observedStart ? undefined : this.interruptedEntryOf(job);
    let id: number;
    let entry: StoredJob;
    if (resumed) {
      id = resumed.id;
      entry = { ...resumed.entry, status: 'in_progress', end_time: null, metadata: Object.keys(metadata).length ? metadata : resumed.entry.metadata };
      log.info(`job ${formatJobId(id)} (${job.filename}) is still printing: taken up again`);
    } else {
      id = this.nextId();
      entry = {
        user: NO_USER,
        filename: job.filename,
        status: 'in_progress',
        start_time: job.startTime,
        end_time: null,
        print_duration: job.printDuration,
        total_duration: job.totalDuration,
        filament_used: job.filamentUsed,
        metadata,
        auxiliary_data: [],
      };
    }
    this.write(id, entry);
    this.currentId = id;
    await this.tellFile(entry, id);
    this.changesSubject.next({ action: 'added', job: await this.view(id, entry) });
  }

  /**
   * The newest entry, if it is this print seen again after our stop or a lost Klippy
   * connection: same file, same start within a minute, ended only because we stopped looking.
   */
  private interruptedEntryOf(job: Job): { id: number; entry: StoredJob } | undefined {
    const last = this.lastId();
    const entry = last > 0 ? this.read(last) : undefined;
    if (!entry || (entry.status !== 'interrupted' && entry.status !== 'klippy_disconnect')) return undefined;
    if (entry.filename !== job.filename || Math.abs(entry.start_time - job.startTime) > SAME_PRINT_SECONDS) return undefined;
    // A klippy_disconnect end was counted in the totals; it will be counted again at the real end.
    if (entry.status === 'klippy_disconnect') this.uncount(entry);
    return { id: last, entry };
  }

  private async onFinished(job: Job, status: JobEndStatus): Promise<void> {
    const id = this.currentId;
    this.currentId = null;
    if (id === null) return;
    const metadata = (await this.metadataFor(job.filename)) ?? {};
    // Read and rewritten with no wait between: during a swap the read would miss the entry.
    await this.db.whenOpen();
    const before = this.read(id);
    // Deleting a running job's entry does not stop it being recorded when it ends (Moonraker).
    const entry: StoredJob = {
      user: before?.user ?? NO_USER,
      filename: job.filename,
      status,
      start_time: before?.start_time ?? job.startTime,
      end_time: job.endTime ?? Date.now() / 1000,
      print_duration: job.printDuration,
      total_duration: job.totalDuration,
      filament_used: job.filamentUsed,
      metadata: Object.keys(metadata).length ? metadata : (before?.metadata ?? {}),
      auxiliary_data: before?.auxiliary_data ?? [],
    };
    this.write(id, entry);
    await this.tellFile(entry, id);
    this.count(entry);
    this.changesSubject.next({ action: 'finished', job: await this.view(id, entry) });
  }

  private lastId(): number {
    let last = 0;
    for (const id of this.index.keys()) if (id > last) last = id;
    return last;
  }

  private nextId(): number {
    // Moonraker's rowid: one past the highest id in use.
    return this.lastId() + 1;
  }

  private read(id: number): StoredJob | undefined {
    try {
      return this.db.get(HISTORY_NAMESPACE, formatJobId(id)) as StoredJob;
    } catch {
      return undefined;
    }
  }

  /** Job events come from Klippy, not a request: the write waits out a compaction or restore. */
  private write(id: number, entry: StoredJob): void {
    void this.db.inBackground('recording a history job', () => this.db.put(HISTORY_NAMESPACE, formatJobId(id), entry));
    this.index.set(id, { start: entry.start_time, end: entry.end_time });
  }

  // --- totals ----------------------------------------------------------------------------

  private loadTotals(): JobTotals {
    try {
      const stored = this.db.get(TOTALS_NAMESPACE, [TOTALS_KEY, 'job_totals']) as Partial<JobTotals>;
      return { ...zeroTotals(), ...stored };
    } catch {
      return zeroTotals();
    }
  }

  private saveTotals(): void {
    const totals = { job_totals: { ...this.totalsValue }, aux_totals: [] };
    void this.db.inBackground('saving the job totals', () => this.db.put(TOTALS_NAMESPACE, TOTALS_KEY, totals));
  }

  private count(job: StoredJob): void {
    const t = this.totalsValue;
    t.total_jobs += 1;
    t.total_time += job.total_duration;
    t.total_print_time += job.print_duration;
    t.total_filament_used += job.filament_used;
    t.longest_job = Math.max(t.longest_job, job.total_duration);
    t.longest_print = Math.max(t.longest_print, job.print_duration);
    this.saveTotals();
  }

  private uncount(job: StoredJob): void {
    const t = this.totalsValue;
    t.total_jobs = Math.max(0, t.total_jobs - 1);
    t.total_time = Math.max(0, t.total_time - job.total_duration);
    t.total_print_time = Math.max(0, t.total_print_time - job.print_duration);
    t.total_filament_used = Math.max(0, t.total_filament_used - job.filament_used);
    this.saveTotals();
  }

  // --- queries (server.history.*) ---------------------------------------------------------

  async list(q: ListQuery): Promise<{ count: number; jobs: HistoryJob[] }> {
    const order = q.order.toUpperCase();
    if (order !== 'ASC' && order !== 'DESC') throw badRequest(`Invalid \`order\` value: ${order}`);
    // -1 is Moonraker's "not given" for both bounds.
    const before = q.before === -1 ? undefined : q.before;
    const since = q.since === -1 ? undefined : q.since;
    let ids = [...this.index.entries()]
      .filter(([, t]) => (before === undefined || (t.end !== null && t.end < before)) && (since === undefined || t.start > since))
      .map(([id]) => id)
      .sort((a, b) => (order === 'ASC' ? a - b : b - a));
    if (q.limit > 0) {
      const from = Math.max(0, q.start);
      ids = ids.slice(from, from + q.limit);
    }
    const jobs: HistoryJob[] = [];
    for (const id of ids) {
      const entry = this.read(id);
      if (entry) jobs.push(await this.view(id, entry));
    }
    return { count: jobs.length, jobs };
  }

  async getJob(uid: string): Promise<{ job: HistoryJob }> {
    const id = parseJobId(uid);
    const entry = id === undefined ? undefined : this.read(id);
    if (id === undefined || !entry) throw notFound(`Invalid job uid: ${uid}`);
    return { job: await this.view(id, entry) };
  }

  deleteJob(uid: string): { deleted_jobs: string[] } {
    const id = parseJobId(uid);
    if (id === undefined || !this.index.has(id)) throw notFound(`Invalid job uid: ${uid}`);
    this.db.delete(HISTORY_NAMESPACE, formatJobId(id));
    this.index.delete(id);
    return { deleted_jobs: [uid] };
  }

  deleteAll(): { deleted_jobs: string[] } {
    const ids = [...this.index.keys()].sort((a, b) => a - b).map(formatJobId);
    this.db.clearNamespace(HISTORY_NAMESPACE);
    this.index.clear();
    return { deleted_jobs: ids };
  }

  totals(): { job_totals: JobTotals; auxiliary_totals: unknown[] } {
    return { job_totals: { ...this.totalsValue }, auxiliary_totals: [] };
  }

  resetTotals(): { last_totals: JobTotals; last_auxiliary_totals: unknown[] } {
    if (this.jobActive) throw badRequest('Job in progress, cannot reset totals');
    const last = this.totalsValue;
    this.totalsValue = zeroTotals();
    this.saveTotals();
    return { last_totals: last, last_auxiliary_totals: [] };
  }

  // --- files -----------------------------------------------------------------------------

  private async tellFile(entry: StoredJob, id: number): Promise<void> {
    await this.opts.jobRecorded?.(entry.filename, entry.start_time, formatJobId(id)).catch((err: unknown) => log.debug(`file metadata of a job: ${String(err)}`));
  }

  private async fileStat(filename: string): Promise<Record<string, unknown> | undefined> {
    const root = this.gcodesPath();
    const st = root === undefined ? undefined : await stat(join(root, filename)).catch(() => undefined);
    return st?.isFile() ? { size: st.size, modified: st.mtimeMs / 1000 } : undefined;
  }

  /** Moonraker's `exists`: the file is there and, when its time was recorded, unmodified. */
  private async exists(entry: StoredJob): Promise<boolean> {
    const root = this.gcodesPath();
    const st = root === undefined ? undefined : await stat(join(root, entry.filename)).catch(() => undefined);
    if (!st?.isFile()) return false;
    const recorded = entry.metadata.modified;
    return typeof recorded !== 'number' || Math.abs(st.mtimeMs / 1000 - recorded) < 0.001;
  }

  private async view(id: number, entry: StoredJob): Promise<HistoryJob> {
    return {
      job_id: formatJobId(id),
      user: entry.user,
      filename: entry.filename,
      status: entry.status,
      start_time: entry.start_time,
      end_time: entry.end_time,
      print_duration: entry.print_duration,
      total_duration: entry.total_duration,
      filament_used: entry.filament_used,
      metadata: entry.metadata,
      auxiliary_data: entry.auxiliary_data,
      exists: await this.exists(entry),
    };
  }
}
