// Moonraker's job queue: a FIFO of gcode files that are started one after another, in the four
// states clients see as `queue_state`:
//
//   paused   holds the queue: nothing is loaded (the state at startup, after a pause request,
//            after a failed load, after an aborted print, and after each load unless
//            automatic_transition is on)
//   ready    the queue is active: it loads the next job when the current print completes, or at
//            once when jobs arrive and the printer can start
//   loading  waiting out the delay (job_transition_delay between jobs) and running the
//            job_transition_gcode, then checking that the printer can still start
//   starting asking Klippy to start the file (PrintControl.start, the only way prints start)
//
// Pure: the gcode and the print start are actors injected with `provide`; the printer's state
// and the print job's end arrive as events. The job list lives in context so that every change
// to it is a transition (and the actor persists it).
import { assign, emit, fromPromise, setup } from 'xstate';

export interface QueuedJob {
  filename: string;
  /** 16 upper-case hex digits, as Moonraker makes them. */
  job_id: string;
  /** Unix time (s) the job was queued. */
  time_added: number;
}

export interface JobQueueInput {
  jobs: QueuedJob[];
  /** [job_queue] automatic_transition: load the next job when a print completes. */
  automatic: boolean;
  /** [job_queue] job_transition_delay, in milliseconds. */
  transitionDelayMs: number;
  /** [job_queue] job_transition_gcode ('' for none). */
  transitionGcode: string;
  /** [job_queue] load_on_startup: load the next job whenever Klippy becomes ready. */
  loadOnStartup: boolean;
}

export interface JobQueueContext extends JobQueueInput {
  /** Klippy is ready and no print is running or paused (PrintControl.canStart). */
  canStart: boolean;
  /** A print is running or paused. */
  printing: boolean;
  /** A client paused the queue and has not started it since. */
  pauseRequested: boolean;
  /** How the current load goes: its delay, and whether the transition gcode runs. */
  load: { delayMs: number; transition: boolean };
  /** The job being started (it leaves the queue once Klippy has started it). */
  loadingJobId: string | null;
  /** Go to `paused` once the start in progress is done (a pause or shutdown arrived meanwhile). */
  holdAfterStart: boolean;
}

export type JobQueueEvent =
  | { type: 'ADD'; jobs: QueuedJob[]; reset: boolean }
  | { type: 'REMOVE'; jobIds: string[] }
  | { type: 'REMOVE_ALL' }
  | { type: 'JUMP'; jobId: string }
  | { type: 'PAUSE' }
  | { type: 'START' }
  /** What the print job machine and the Klippy connection say about the printer. */
  | { type: 'PRINTER'; canStart: boolean; printing: boolean }
  /** A print ended: completed, or aborted (cancelled, error, Klippy shutdown or disconnect). */
  | { type: 'JOB_ENDED'; completed: boolean }
  | { type: 'KLIPPY_READY' }
  | { type: 'KLIPPY_SHUTDOWN' };

export type JobQueueAction = 'jobs_added' | 'jobs_removed' | 'job_loaded';
export type JobQueueEmitted = { type: 'queue.changed'; action: JobQueueAction };

/** Moonraker's delays: a start loads after 10 ms, load_on_startup 1 s after Klippy is ready. */
export const START_DELAY_MS = 10;
export const STARTUP_LOAD_DELAY_MS = 1000;

const notProvided = (name: string) => () => {
  throw new Error(`jobQueue: actor "${name}" must be provided`);
};

export const jobQueueMachine = setup({
  types: {
    context: {} as JobQueueContext,
    events: {} as JobQueueEvent,
    emitted: {} as JobQueueEmitted,
    input: {} as JobQueueInput,
  },
  actors: {
    /** Runs job_transition_gcode on Klippy. */
    runTransitionGcode: fromPromise<void, { gcode: string }>(notProvided('runTransitionGcode')),
    /** Starts the file and resolves once Klippy has taken it; rejects if it would not. */
    startPrint: fromPromise<void, { filename: string }>(notProvided('startPrint')),
  },
  delays: {
    loadDelay: ({ context }) => context.load.delayMs,
  },
  guards: {
    noJobs: ({ context }) => context.jobs.length === 0,
    canStart: ({ context }) => context.canStart,
    automatic: ({ context }) => context.automatic,
    /** Time to load: there is a job and the printer is free. */
    canLoad: ({ context }) => context.jobs.length > 0 && context.canStart,
    /** Jobs queued behind a running print with automatic transition follow that print. */
    followsPrint: ({ context }) => context.automatic && !context.pauseRequested && context.printing,
    loadsOnKlippyReady: ({ context }) => context.loadOnStartup && context.jobs.length > 0,
    runsTransitionGcode: ({ context }) => context.load.transition && context.transitionGcode.trim() !== '',
    /** The printer just became free to start (not merely still free), with jobs waiting. */
    becameStartable: ({ context, event }) =>
      event.type === 'PRINTER' && event.canStart && !context.canStart && context.jobs.length > 0,
    completedWithJobs: ({ context, event }) => event.type === 'JOB_ENDED' && event.completed && context.jobs.length > 0,
    abortedWithJobs: ({ context, event }) => event.type === 'JOB_ENDED' && !event.completed && context.jobs.length > 0,
    aborted: ({ event }) => event.type === 'JOB_ENDED' && !event.completed,
    removesSomething: ({ context, event }) =>
      (event.type === 'REMOVE_ALL' && context.jobs.length > 0) ||
      (event.type === 'REMOVE' && context.jobs.some((j) => event.jobIds.includes(j.job_id))),
    /** After a load: stay active only for more jobs, with automatic transition, and no pause. */
    staysReady: ({ context }) =>
      !context.holdAfterStart && context.automatic && context.jobs.some((j) => j.job_id !== context.loadingJobId),
  },
  actions: {
    addJobs: assign(({ context, event }) =>
      event.type === 'ADD' ? { jobs: [...(event.reset ? [] : context.jobs), ...event.jobs] } : {},
    ),
    removeJobs: assign(({ context, event }) => {
      if (event.type === 'REMOVE_ALL') return { jobs: [] };
      if (event.type === 'REMOVE') return { jobs: context.jobs.filter((j) => !event.jobIds.includes(j.job_id)) };
      return {};
    }),
    jump: assign(({ context, event }) => {
      if (event.type !== 'JUMP') return {};
      const job = context.jobs.find((j) => j.job_id === event.jobId);
      return job ? { jobs: [job, ...context.jobs.filter((j) => j !== job)] } : {};
    }),
    trackPrinter: assign(({ event }) => (event.type === 'PRINTER' ? { canStart: event.canStart, printing: event.printing } : {})),
    requestPause: assign({ pauseRequested: true }),
    clearPauseRequest: assign({ pauseRequested: false }),
    holdAfterStart: assign({ holdAfterStart: true }),
    loadAfterStartDelay: assign({ load: { delayMs: START_DELAY_MS, transition: false } }),
    loadAtStartup: assign({ load: { delayMs: STARTUP_LOAD_DELAY_MS, transition: false } }),
    /** Between two jobs: job_transition_delay, then job_transition_gcode. */
    loadNextJob: assign(({ context }) => ({ load: { delayMs: context.transitionDelayMs, transition: true } })),
    beginStart: assign(({ context }) => ({ loadingJobId: context.jobs[0]?.job_id ?? null, holdAfterStart: false })),
    removeLoadedJob: assign(({ context }) => ({
      jobs: context.jobs.filter((j) => j.job_id !== context.loadingJobId),
      loadingJobId: null,
    })),
    announce: emit((_, params: { action: JobQueueAction }) => ({ type: 'queue.changed' as const, action: params.action })),
  },
}).createMachine({
  id: 'jobQueue',
  context: ({ input }) => ({
    ...input,
    canStart: false,
    printing: false,
    pauseRequested: false,
    load: { delayMs: START_DELAY_MS, transition: false },
    loadingJobId: null,
    holdAfterStart: false,
  }),
  // Moonraker starts paused; a restored queue waits for a start (or load_on_startup).
  initial: 'paused',
  on: {
    REMOVE: { guard: 'removesSomething', actions: ['removeJobs', { type: 'announce', params: { action: 'jobs_removed' } }] },
    REMOVE_ALL: { guard: 'removesSomething', actions: ['removeJobs', { type: 'announce', params: { action: 'jobs_removed' } }] },
    JUMP: { actions: 'jump' },
    PRINTER: { actions: 'trackPrinter' },
    ADD: { actions: ['addJobs', { type: 'announce', params: { action: 'jobs_added' } }] },
  },
  states: {
    paused: {
      on: {
        PAUSE: { actions: 'requestPause' },
        START: [
          { guard: 'noJobs', actions: 'clearPauseRequest' },
          { guard: 'canStart', target: 'loading', actions: ['clearPauseRequest', 'loadAfterStartDelay'] },
          { guard: 'automatic', target: 'ready', actions: 'clearPauseRequest' },
          { actions: 'clearPauseRequest' },
        ],
        // Queued behind a running print with automatic transition: it follows that print.
        ADD: [
          {
            guard: 'followsPrint',
            target: 'ready',
            actions: ['addJobs', { type: 'announce', params: { action: 'jobs_added' } }],
          },
          { actions: ['addJobs', { type: 'announce', params: { action: 'jobs_added' } }] },
        ],
        KLIPPY_READY: { guard: 'loadsOnKlippyReady', target: 'loading', actions: 'loadAtStartup' },
      },
    },
    ready: {
      on: {
        START: [
          { guard: 'noJobs', target: 'paused', actions: 'clearPauseRequest' },
          { guard: 'canStart', target: 'loading', actions: ['clearPauseRequest', 'loadAfterStartDelay'] },
          { guard: 'automatic', actions: 'clearPauseRequest' },
          { target: 'paused', actions: 'clearPauseRequest' },
        ],
        PAUSE: { target: 'paused', actions: 'requestPause' },
        // An active queue that is given jobs while the printer is free loads at once.
        ADD: [
          {
            guard: 'canStart',
            target: 'loading',
            actions: ['addJobs', { type: 'announce', params: { action: 'jobs_added' } }, 'loadAfterStartDelay'],
          },
          { actions: ['addJobs', { type: 'announce', params: { action: 'jobs_added' } }] },
        ],
        JOB_ENDED: [
          { guard: 'completedWithJobs', target: 'loading', actions: 'loadNextJob' },
          { guard: 'abortedWithJobs', target: 'paused' },
        ],
        PRINTER: [
          { guard: 'becameStartable', target: 'loading', actions: ['trackPrinter', 'loadAfterStartDelay'] },
          { actions: 'trackPrinter' },
        ],
        KLIPPY_READY: { guard: 'loadsOnKlippyReady', target: 'loading', actions: 'loadAtStartup' },
        KLIPPY_SHUTDOWN: { target: 'paused' },
      },
    },
    loading: {
      initial: 'waiting',
      on: {
        PAUSE: { target: 'paused', actions: 'requestPause' },
        KLIPPY_SHUTDOWN: { target: 'paused' },
        JOB_ENDED: { guard: 'abortedWithJobs', target: 'paused' },
      },
      states: {
        // Each step ends by checking that there is still a job and the printer is still free.
        waiting: {
          after: {
            loadDelay: [
              { guard: 'runsTransitionGcode', target: 'transition' },
              { guard: 'canLoad', target: '#jobQueue.starting' },
              { target: '#jobQueue.paused' },
            ],
          },
        },
        transition: {
          invoke: {
            id: 'runTransitionGcode',
            src: 'runTransitionGcode',
            input: ({ context }) => ({ gcode: context.transitionGcode }),
            onDone: [{ guard: 'canLoad', target: '#jobQueue.starting' }, { target: '#jobQueue.paused' }],
            onError: { target: '#jobQueue.paused' },
          },
        },
      },
    },
    starting: {
      entry: 'beginStart',
      invoke: {
        id: 'startPrint',
        src: 'startPrint',
        input: ({ context }) => ({ filename: context.jobs.find((j) => j.job_id === context.loadingJobId)?.filename ?? '' }),
        onDone: [
          { guard: 'staysReady', target: 'ready', actions: ['removeLoadedJob', { type: 'announce', params: { action: 'job_loaded' } }] },
          { target: 'paused', actions: ['removeLoadedJob', { type: 'announce', params: { action: 'job_loaded' } }] },
        ],
        // The job stays queued; a client starts the queue again once the problem is fixed.
        onError: { target: 'paused' },
      },
      // The start cannot be taken back once asked for: a pause (or a shutdown, or an aborted
      // print) takes effect when it is done.
      on: {
        PAUSE: { actions: ['requestPause', 'holdAfterStart'] },
        KLIPPY_SHUTDOWN: { actions: 'holdAfterStart' },
        JOB_ENDED: { guard: 'aborted', actions: 'holdAfterStart' },
      },
    },
  },
});

export type JobQueueMachine = typeof jobQueueMachine;
export type QueueState = 'ready' | 'loading' | 'starting' | 'paused';

/** The `queue_state` clients see: the top-level state. */
export function queueState(value: unknown): QueueState {
  return (typeof value === 'string' ? value : Object.keys(value as object)[0]) as QueueState;
}
