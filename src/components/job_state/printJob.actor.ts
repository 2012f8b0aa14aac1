// Runs the printJob machine on Klippy's print_stats and virtual_sdcard, as the subscription
// hub delivers them, and on Klippy going away. Exposes the job's state and its event stream
// (history, the job queue and the file in-use rule read these).
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { BehaviorSubject, Subject, distinctUntilChanged, map, type Observable, type Subscription } from 'rxjs';
import {
  printJobMachine,
  type Job,
  type PrintJobEmitted,
  type PrintJobState,
  type PrintStats,
  type SdcardStatus,
} from '../../machines/printJob.machine.js';
import type { KlippyConnection } from '../../actors/klippyConnection.actor.js';
import type { StatusSubscriptions } from '../../actors/statusSubscriptions.actor.js';

export interface PrintJobSnapshot {
  state: PrintJobState;
  job: Job | null;
}

export class PrintJobTracker {
  readonly actor: Actor<typeof printJobMachine>;
  private readonly eventsSubject = new Subject<PrintJobEmitted>();
  private readonly snapshotSubject: BehaviorSubject<PrintJobSnapshot>;
  private readonly subs: Subscription[] = [];
  /** True until the first print_stats of a Klippy connection has been seen. */
  private firstReport = true;

  readonly events$: Observable<PrintJobEmitted> = this.eventsSubject.asObservable();
  readonly snapshot$: Observable<PrintJobSnapshot>;
  /** Only state changes (not every duration update). */
  readonly state$: Observable<PrintJobState>;

  constructor(
    klippy: KlippyConnection,
    private readonly subscriptions: StatusSubscriptions,
    opts: { inspect?: (ev: InspectionEvent) => void; now?: () => number } = {},
  ) {
    const now = opts.now ?? (() => Date.now() / 1000);
    this.actor = createActor(printJobMachine, opts.inspect ? { inspect: opts.inspect } : {});
    this.snapshotSubject = new BehaviorSubject<PrintJobSnapshot>(this.read());
    this.snapshot$ = this.snapshotSubject.asObservable();
    this.state$ = this.snapshotSubject.pipe(
      map((s) => s.state),
      distinctUntilChanged(),
    );
    this.actor.subscribe(() => this.snapshotSubject.next(this.read()));
    this.actor.on('*', (ev) => this.eventsSubject.next(ev));

    subscriptions.watch('host:printJob', { print_stats: null, virtual_sdcard: ['progress', 'file_position', 'file_size', 'is_active'] }, (diff) => {
      if (diff.print_stats) {
        // The hub has merged the diff into its cache: send the whole object, not the diff.
        const stats = subscriptions.current('print_stats') as unknown as PrintStats | undefined;
        if (stats && typeof stats.state === 'string') {
          this.actor.send({ type: 'PRINT_STATS', stats, at: now(), firstReport: this.firstReport });
          this.firstReport = false;
        }
      }
      if (diff.virtual_sdcard) {
        const sd = subscriptions.current('virtual_sdcard') as unknown as SdcardStatus | undefined;
        if (sd && typeof sd.progress === 'number') this.actor.send({ type: 'SDCARD', status: sd, at: now() });
      }
    });
    this.subs.push(
      klippy.events$.subscribe((ev) => {
        if (ev.type === 'klippy.shutdown') this.actor.send({ type: 'KLIPPY_LOST', reason: 'klippy_shutdown', at: now() });
        if (ev.type === 'klippy.disconnected') {
          this.firstReport = true;
          this.actor.send({ type: 'KLIPPY_LOST', reason: 'klippy_disconnect', at: now() });
        }
      }),
    );
  }

  private read(): PrintJobSnapshot {
    const snap = this.actor.getSnapshot();
    return { state: snap.value, job: snap.context.job };
  }

  start(): void {
    this.actor.start();
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subscriptions.unsubscribe('host:printJob');
    this.actor.stop();
    this.eventsSubject.complete();
    this.snapshotSubject.complete();
  }

  get state(): PrintJobState {
    return this.snapshotSubject.value.state;
  }

  get job(): Job | null {
    return this.snapshotSubject.value.job;
  }

  /** A job is printing or paused: the machine's `jobActive` tag. */
  get jobActive(): boolean {
    return this.actor.getSnapshot().hasTag('jobActive');
  }

  /** No job is running, so a print may start (if Klippy is ready): the `canStartPrint` tag. */
  get canStartPrint(): boolean {
    return this.actor.getSnapshot().hasTag('canStartPrint');
  }
}
