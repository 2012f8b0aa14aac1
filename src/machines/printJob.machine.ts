// The print job as clients see it: standby -> printing <-> paused -> complete | cancelled |
// error, and back to standby when Klippy resets. Driven only by what Klippy reports in
// print_stats (never guessed from our own requests), so a print started from a macro, the
// LCD or another client is followed just the same.
//
// The job's facts (file, start time, durations, progress) live in context; transitions emit
// job events that history and the job queue consume.
import { assign, emit, setup } from 'xstate';

/** The print_stats fields the machine reads (Klippy's names). */
export interface PrintStats {
  state: string;
  filename: string;
  message: string;
  total_duration: number;
  print_duration: number;
  filament_used: number;
  info?: { current_layer?: number | null; total_layer?: number | null };
}

export interface SdcardStatus {
  progress: number;
  file_position?: number;
  file_size?: number;
}

export interface Job {
  filename: string;
  /** Wall-clock Unix time (s) the job was first seen printing. */
  startTime: number;
  /** Wall-clock Unix time (s) it ended; null while running. */
  endTime: number | null;
  totalDuration: number;
  printDuration: number;
  filamentUsed: number;
  progress: number;
  message: string;
  currentLayer: number | null;
  totalLayer: number | null;
  /** False when the server first saw this job mid-print (it restarted, or Klippy reconnected). */
  observedStart: boolean;
}

export type JobEndStatus = 'completed' | 'cancelled' | 'error' | 'klippy_shutdown' | 'klippy_disconnect';

export type PrintJobEvent =
  /**
   * print_stats as Klippy reports it now (whole object), with the wall clock of the report.
   * `firstReport` marks the first report after connecting to Klippy: a job seen then was not
   * seen starting.
   */
  | { type: 'PRINT_STATS'; stats: PrintStats; at: number; firstReport: boolean }
  | { type: 'SDCARD'; status: SdcardStatus; at: number }
  /** Klippy shut down or went away: a running job cannot continue. */
  | { type: 'KLIPPY_LOST'; reason: 'klippy_shutdown' | 'klippy_disconnect'; at: number };

export type PrintJobEmitted =
  | { type: 'job.started'; job: Job }
  | { type: 'job.paused'; job: Job }
  | { type: 'job.resumed'; job: Job }
  | { type: 'job.finished'; job: Job; status: JobEndStatus }
  | { type: 'job.reset' };

export interface PrintJobContext {
  job: Job | null;
}

const reports = (state: string) => ({ type: 'reports' as const, params: { state } });
const reportsAtConnect = (state: string) => ({ type: 'reportsAtConnect' as const, params: { state } });

const END_STATUS = { complete: 'completed', cancelled: 'cancelled', error: 'error' } as const;
type Ended = keyof typeof END_STATUS;

/** A job that started and ended between two reports: announced as started and finished. */
const quickJob = (state: Ended, guard: { type: 'reports' | 'anotherEndedJob'; params: { state: string } }) => ({
  guard,
  target: state,
  reenter: true,
  actions: ['beginJob', 'announceStarted', 'endJob', { type: 'announceFinished', params: { status: END_STATUS[state] } }] as const,
});

/** From an ended state: any other ended report, or the same one for another job, is a new job. */
const newJobsEndedQuickly = (from: Ended) =>
  (Object.keys(END_STATUS) as Ended[]).map((to) => quickJob(to, to === from ? { type: 'anotherEndedJob', params: { state: to } } : reports(to)));

/** How a running job (printing or paused) ends. */
const runningJobEnds = [
  ...(Object.keys(END_STATUS) as Ended[]).map((state) => ({
    guard: reports(state),
    target: state,
    actions: ['updateJob', 'endJob', { type: 'announceFinished', params: { status: END_STATUS[state] } }] as const,
  })),
  // Klipper before 2021 had no "cancelled": a cancel went straight back to standby.
  {
    guard: reports('standby'),
    target: 'standby',
    actions: ['endJob', { type: 'announceFinished', params: { status: 'cancelled' } }, 'clearJob', 'announceReset'] as const,
  },
];

/** An ended job stays on show until Klippy resets or the next job starts. */
const afterEndedJob = (from: Ended) => [
  { guard: reports('standby'), target: 'standby', actions: ['clearJob', 'announceReset'] as const },
  { guard: reports('printing'), target: 'printing', actions: ['beginJob', 'announceStarted'] as const },
  ...newJobsEndedQuickly(from),
];

export const printJobMachine = setup({
  types: {
    context: {} as PrintJobContext,
    events: {} as PrintJobEvent,
    emitted: {} as PrintJobEmitted,
    tags: {} as PrintJobTag,
  },
  guards: {
    reports: ({ event }, params: { state: string }) => event.type === 'PRINT_STATS' && event.stats.state === params.state,
    reportsAtConnect: ({ event }, params: { state: string }) =>
      event.type === 'PRINT_STATS' && event.firstReport && event.stats.state === params.state,
    /**
     * Klippy reports an ended job that is not the one we hold: another file, or its clock
     * restarted (a new job that ended between two reports).
     */
    anotherEndedJob: ({ context, event }, params: { state: string }) =>
      event.type === 'PRINT_STATS' &&
      event.stats.state === params.state &&
      context.job !== null &&
      (event.stats.filename !== context.job.filename || event.stats.total_duration < context.job.totalDuration),
    /** Klippy started another file while we thought one was running (we missed its end). */
    anotherFile: ({ context, event }) =>
      event.type === 'PRINT_STATS' && event.stats.state === 'printing' && context.job !== null && event.stats.filename !== context.job.filename,
  },
  actions: {
    beginJob: assign(({ event }) => {
      if (event.type !== 'PRINT_STATS') return {};
      const s = event.stats;
      // A job first seen at connect time started before we looked: Klippy's total_duration
      // says how long ago.
      const observedStart = !event.firstReport;
      return {
        job: {
          filename: s.filename,
          startTime: event.at - (observedStart ? 0 : s.total_duration),
          endTime: null,
          totalDuration: s.total_duration,
          printDuration: s.print_duration,
          filamentUsed: s.filament_used,
          progress: 0,
          message: s.message,
          currentLayer: s.info?.current_layer ?? null,
          totalLayer: s.info?.total_layer ?? null,
          observedStart,
        },
      };
    }),
    updateJob: assign(({ context, event }) => {
      if (!context.job) return {};
      if (event.type === 'SDCARD') return { job: { ...context.job, progress: event.status.progress } };
      if (event.type !== 'PRINT_STATS') return {};
      const s = event.stats;
      return {
        job: {
          ...context.job,
          totalDuration: s.total_duration,
          printDuration: s.print_duration,
          filamentUsed: s.filament_used,
          message: s.message,
          currentLayer: s.info?.current_layer ?? context.job.currentLayer,
          totalLayer: s.info?.total_layer ?? context.job.totalLayer,
        },
      };
    }),
    endJob: assign(({ context, event }) => {
      if (!context.job) return {};
      // Every event carries the wall clock of its report: the machine never reads a clock.
      const at = event.at;
      const message = event.type === 'PRINT_STATS' ? event.stats.message : event.type === 'KLIPPY_LOST' ? event.reason : context.job.message;
      return { job: { ...context.job, endTime: at, message } };
    }),
    clearJob: assign({ job: null }),
    announceStarted: emit(({ context }) => ({ type: 'job.started' as const, job: context.job! })),
    announcePaused: emit(({ context }) => ({ type: 'job.paused' as const, job: context.job! })),
    announceResumed: emit(({ context }) => ({ type: 'job.resumed' as const, job: context.job! })),
    announceFinished: emit(({ context }, params: { status: JobEndStatus }) => ({
      type: 'job.finished' as const,
      job: context.job!,
      status: params.status,
    })),
    announceLost: emit(({ context, event }) => ({
      type: 'job.finished' as const,
      job: context.job!,
      status: event.type === 'KLIPPY_LOST' ? event.reason : ('klippy_disconnect' as const),
    })),
    announceReset: emit({ type: 'job.reset' as const }),
  },
}).createMachine({
  id: 'printJob',
  context: { job: null },
  initial: 'standby',
  states: {
    standby: {
      tags: 'canStartPrint',
      on: {
        PRINT_STATS: [
          { guard: reports('printing'), target: 'printing', actions: ['beginJob', 'announceStarted'] },
          // First seen while paused: the server (re)started mid-print.
          { guard: reports('paused'), target: 'paused', actions: ['beginJob', 'announceStarted'] },
          // A job that ended before we connected: mirror Klippy, but announce nothing.
          { guard: reportsAtConnect('complete'), target: 'complete', actions: ['beginJob', 'endJob'] },
          { guard: reportsAtConnect('cancelled'), target: 'cancelled', actions: ['beginJob', 'endJob'] },
          { guard: reportsAtConnect('error'), target: 'error', actions: ['beginJob', 'endJob'] },
          // A job that started and ended between two of Klippy's 0.25 s reports (a file that
          // fails at once, or a tiny one): it ran, so it is announced as started and finished.
          quickJob('complete', reports('complete')),
          quickJob('cancelled', reports('cancelled')),
          quickJob('error', reports('error')),
        ],
      },
    },
    printing: {
      tags: 'jobActive',
      on: {
        PRINT_STATS: [
          { guard: 'anotherFile', target: 'printing', reenter: true, actions: ['endJob', { type: 'announceFinished', params: { status: 'cancelled' } }, 'beginJob', 'announceStarted'] },
          { guard: reports('paused'), target: 'paused', actions: ['updateJob', 'announcePaused'] },
          ...runningJobEnds,
          { actions: 'updateJob' },
        ],
        SDCARD: { actions: 'updateJob' },
        KLIPPY_LOST: { target: 'error', actions: ['endJob', 'announceLost'] },
      },
    },
    paused: {
      tags: 'jobActive',
      on: {
        PRINT_STATS: [
          { guard: reports('printing'), target: 'printing', actions: ['updateJob', 'announceResumed'] },
          ...runningJobEnds,
          { actions: 'updateJob' },
        ],
        SDCARD: { actions: 'updateJob' },
        KLIPPY_LOST: { target: 'error', actions: ['endJob', 'announceLost'] },
      },
    },
    complete: {
      tags: 'canStartPrint',
      on: {
        // The tick that reports `complete` may carry the final progress after it.
        SDCARD: { actions: 'updateJob' },
        PRINT_STATS: afterEndedJob('complete'),
      },
    },
    cancelled: {
      tags: 'canStartPrint',
      on: {
        PRINT_STATS: afterEndedJob('cancelled'),
      },
    },
    error: {
      tags: 'canStartPrint',
      on: {
        PRINT_STATS: afterEndedJob('error'),
      },
    },
  },
});

export type PrintJobState = 'standby' | 'printing' | 'paused' | 'complete' | 'cancelled' | 'error';

/**
 * The questions others ask of the print job, answered by the states' tags:
 * `jobActive` a job is printing or paused (it holds its file, the printer is busy);
 * `canStartPrint` no job is running, so Klippy would accept SDCARD_PRINT_FILE.
 */
export type PrintJobTag = 'jobActive' | 'canStartPrint';
