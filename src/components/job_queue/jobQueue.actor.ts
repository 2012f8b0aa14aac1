// Runs the jobQueue machine with real I/O: prints start through PrintControl (the only way
// prints start), the transition gcode goes to Klippy, the printer's state comes from the print
// job machine and the Klippy connection. The queue is saved in the database on every change,
// so it survives restarts (Moonraker keeps it in memory only).
import { randomBytes } from 'node:crypto';
import { createActor, fromPromise, type Actor, type InspectionEvent } from 'xstate';
import { Subject, filter, merge, race, timer, type Observable, type Subscription } from 'rxjs';
import {
  jobQueueMachine,
  queueState,
  type JobQueueAction,
  type QueueState,
  type QueuedJob,
} from '../../machines/jobQueue.machine.js';
import type { Database } from '../../db/database.js';
import type { KlippyConnection } from '../../actors/klippyConnection.actor.js';
import type { PrintJobTracker } from '../job_state/printJob.actor.js';
import type { GcodeResolver, PrintControl } from '../job_state/printControl.js';
import { badRequest, isKind } from '../../shared/errors.js';
import { getLogger } from '../../logger.js';

const log = getLogger('job_queue');

const STORE_NAMESPACE = 'moonraker';
const STORE_KEY = 'job_queue';
/** How long a started print may take to show up in print_stats before we stop waiting. */
const START_CONFIRM_MS = 5000;

export interface QueuedJobView extends QueuedJob {
  time_in_queue: number;
}

export interface QueueStatus {
  queued_jobs: QueuedJobView[];
  queue_state: QueueState;
}

export interface JobQueueChange {
  action: JobQueueAction | 'state_changed';
  updated_queue: QueuedJobView[] | null;
  queue_state: QueueState;
}

export interface JobQueueSettings {
  load_on_startup: boolean;
  automatic_transition: boolean;
  /** Seconds. */
  job_transition_delay: number;
  job_transition_gcode: string;
}

export interface JobQueueOptions {
  database: Database;
  klippy: KlippyConnection;
  printJob: PrintJobTracker;
  printControl: PrintControl;
  resolve: GcodeResolver;
  settings: JobQueueSettings;
  now?: () => number;
  inspect?: (ev: InspectionEvent) => void;
}

const newJobId = () => randomBytes(8).toString('hex').toUpperCase();

export class JobQueue {
  readonly actor: Actor<typeof jobQueueMachine>;
  private readonly now: () => number;
  private readonly subs: Subscription[] = [];
  private readonly changesSubject = new Subject<JobQueueChange>();
  /** Actions the machine announced in the transition being made (reported with its snapshot). */
  private pendingActions: JobQueueAction[] = [];

  /** notify_job_queue_changed payloads. */
  readonly changes$: Observable<JobQueueChange> = this.changesSubject.asObservable();

  constructor(private readonly opts: JobQueueOptions) {
    this.now = opts.now ?? (() => Date.now() / 1000);
    const { klippy, printJob, printControl, settings } = opts;
    const machine = jobQueueMachine.provide({
      actors: {
        runTransitionGcode: fromPromise(async ({ input }) => {
          await klippy.request('gcode/script', { script: input.gcode });
        }),
        startPrint: fromPromise(async ({ input, signal }) => {
          // Moonraker waits for Klippy to have started the file: until then the printer still
          // looks free, and the queue must not decide anything on that.
          let watch: Subscription | undefined;
          const started = new Promise<void>((resolve) => {
            watch = race(
              printJob.events$.pipe(filter((e) => e.type === 'job.started')),
              printJob.state$.pipe(filter(() => printJob.jobActive)),
              timer(START_CONFIRM_MS),
            ).subscribe(() => resolve());
          });
          const stopWatching = () => watch?.unsubscribe();
          signal.addEventListener('abort', stopWatching);
          try {
            await printControl.start(input.filename);
            await started;
          } catch (err) {
            log.warn(`could not start ${input.filename}: ${err instanceof Error ? err.message : String(err)}`);
            throw err;
          } finally {
            stopWatching();
            signal.removeEventListener('abort', stopWatching);
          }
        }),
      },
    });
    this.actor = createActor(machine, {
      input: {
        jobs: this.restore(),
        automatic: settings.automatic_transition,
        transitionDelayMs: settings.job_transition_delay * 1000,
        transitionGcode: settings.job_transition_gcode,
        loadOnStartup: settings.load_on_startup,
      },
      ...(opts.inspect ? { inspect: opts.inspect } : {}),
    });
    this.actor.on('queue.changed', (ev) => this.pendingActions.push(ev.action));
    let lastState = queueState(this.actor.getSnapshot().value);
    let lastJobs = this.actor.getSnapshot().context.jobs;
    this.actor.subscribe((snap) => {
      const state = queueState(snap.value);
      if (snap.context.jobs !== lastJobs) {
        lastJobs = snap.context.jobs;
        this.save(lastJobs);
      }
      const actions = this.pendingActions;
      this.pendingActions = [];
      for (const action of actions) this.changesSubject.next({ action, updated_queue: this.view(snap.context.jobs), queue_state: state });
      if (state !== lastState && actions.length === 0) {
        this.changesSubject.next({ action: 'state_changed', updated_queue: null, queue_state: state });
      }
      if (state !== lastState) log.info(`queue ${lastState} -> ${state}`);
      lastState = state;
    });
  }

  start(): void {
    this.actor.start();
    const { klippy, printJob, printControl } = this.opts;
    const printer = () => ({
      type: 'PRINTER' as const,
      canStart: printControl.canStart,
      printing: printJob.jobActive,
    });
    this.subs.push(
      merge(printJob.state$, klippy.state$).subscribe(() => this.actor.send(printer())),
      printJob.events$.subscribe((ev) => {
        if (ev.type === 'job.finished') this.actor.send({ type: 'JOB_ENDED', completed: ev.status === 'completed' });
      }),
      klippy.events$.subscribe((ev) => {
        if (ev.type === 'klippy.ready') this.actor.send({ type: 'KLIPPY_READY' });
        if (ev.type === 'klippy.shutdown') this.actor.send({ type: 'KLIPPY_SHUTDOWN' });
      }),
    );
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.actor.stop();
    this.changesSubject.complete();
  }

  // --- persistence -----------------------------------------------------------------------

  private restore(): QueuedJob[] {
    try {
      const stored = this.opts.database.get(STORE_NAMESPACE, STORE_KEY) as { queued_jobs?: unknown };
      if (!Array.isArray(stored.queued_jobs)) return [];
      return stored.queued_jobs.filter(
        (j): j is QueuedJob =>
          typeof j === 'object' && j !== null && typeof j.filename === 'string' && typeof j.job_id === 'string' && typeof j.time_added === 'number',
      );
    } catch {
      return [];
    }
  }

  /** The machine's context is the truth; the store follows it, after a compaction if one runs. */
  private save(jobs: QueuedJob[]): void {
    const db = this.opts.database;
    void db.inBackground('saving the job queue', () => db.put(STORE_NAMESPACE, STORE_KEY, { queued_jobs: jobs }));
  }

  // --- the API (server.job_queue.*) --------------------------------------------------------

  private view(jobs: QueuedJob[]): QueuedJobView[] {
    const now = this.now();
    return jobs.map((j) => ({ filename: j.filename, job_id: j.job_id, time_added: j.time_added, time_in_queue: now - j.time_added }));
  }

  status(): QueueStatus {
    const snap = this.actor.getSnapshot();
    return { queued_jobs: this.view(snap.context.jobs), queue_state: queueState(snap.value) };
  }

  get state(): QueueState {
    return queueState(this.actor.getSnapshot().value);
  }

  /** Queues files (all must exist in gcodes, or nothing is queued). */
  async postJobs(filenames: string[], reset: boolean): Promise<QueueStatus> {
    const paths: string[] = [];
    for (const name of filenames) {
      try {
        paths.push(await this.opts.resolve(name));
      } catch (err) {
        if (isKind(err, 'not_found')) throw badRequest(`G-Code File ${name} does not exist`);
        throw err;
      }
    }
    const time = this.now();
    this.actor.send({ type: 'ADD', reset, jobs: paths.map((filename) => ({ filename, job_id: newJobId(), time_added: time })) });
    return this.status();
  }

  deleteJobs(jobIds: string[]): QueueStatus {
    this.actor.send({ type: 'REMOVE', jobIds });
    return this.status();
  }

  deleteAll(): QueueStatus {
    this.actor.send({ type: 'REMOVE_ALL' });
    return this.status();
  }

  pause(): QueueStatus {
    this.actor.send({ type: 'PAUSE' });
    return this.status();
  }

  startQueue(): QueueStatus {
    this.actor.send({ type: 'START' });
    return this.status();
  }

  jump(jobId: string): QueueStatus {
    if (!this.actor.getSnapshot().context.jobs.some((j) => j.job_id === jobId)) throw badRequest(`Invalid job id: ${jobId}`);
    this.actor.send({ type: 'JUMP', jobId });
    return this.status();
  }
}
