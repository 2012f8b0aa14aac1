// The lifecycle of our connection to Klippy, as Moonraker runs it: connect to the unix socket,
// identify with `info` (sending client_info once), poll `info` every 0.25 s while Klippy starts,
// initialize (endpoints, subscriptions, gcode output), then follow Klippy's state. A closed socket
// from anywhere sends us back to `disconnected`, and we reconnect forever.
//
// Pure logic: the socket, the requests and the watching are actors injected with `provide`,
// so tests can drive this machine with the virtual Klippy or with bare events.
import { assign, emit, fromCallback, fromPromise, setup } from 'xstate';
import type { JsonObject, KlippyInfo, KlippyState } from '../shared/klippyProtocol.js';
import { DISCONNECTED_MESSAGE } from '../shared/errors.js';

export type KlippyConnectionEvent =
  | { type: 'SOCKET_CLOSED' }
  /** Klippy's `webhooks` object reported a state (from the status subscription). */
  | { type: 'KLIPPY_STATE'; state: KlippyState; message: string };

/** What the outside world is told; the server turns these into websocket notifications. */
export type KlippyConnectionEmitted =
  | { type: 'klippy.ready' }
  | { type: 'klippy.shutdown' }
  | { type: 'klippy.disconnected' };

export interface KlippyConnectionInput {
  socketPath: string;
  /** Sent with the first `info` request, as Moonraker does ({program, version}). */
  clientInfo: JsonObject;
}

export interface KlippyConnectionContext extends KlippyConnectionInput {
  info: KlippyInfo | null;
  /** The latest state Klippy reported, from `info` or from `webhooks`. */
  klippyState: KlippyState | null;
  stateMessage: string;
  /** Failed connection attempts in a row; slows retries when Klippy stays away. */
  connectFailures: number;
}

/** What we say while Klippy reports ready but our side of the connection is still being set up. */
export const INITIALIZING_MESSAGE = 'Printer is initializing';

/** `klippyReady`: Klippy is ready and so are we; prints may start, the status cache holds. */
export type KlippyConnectionTag = 'klippyReady';
/** Moonraker's poll interval while Klippy starts. */
export const POLL_INTERVAL_MS = 250;
/** Retry quickly (a restarting Klippy is back within seconds), then settle to 1 Hz. */
export const FAST_RETRIES = 20;

const notProvided = (name: string) => () => {
  throw new Error(`klippyConnection: actor "${name}" must be provided`);
};

export const klippyConnectionMachine = setup({
  types: {
    context: {} as KlippyConnectionContext,
    events: {} as KlippyConnectionEvent,
    emitted: {} as KlippyConnectionEmitted,
    input: {} as KlippyConnectionInput,
    tags: {} as KlippyConnectionTag,
  },
  actors: {
    /** Opens the unix socket at `socketPath`; rejects if nobody listens there. */
    connectSocket: fromPromise<void, { socketPath: string }>(notProvided('connectSocket')),
    /** Sends `info` (with client_info on the first call) and resolves with the reply. */
    queryInfo: fromPromise<KlippyInfo, { clientInfo: JsonObject | undefined }>(notProvided('queryInfo')),
    /** list_endpoints, the status subscription (webhooks and everyone's objects), gcode output. */
    initialize: fromPromise<void, void>(notProvided('initialize')),
    /** Reports SOCKET_CLOSED and KLIPPY_STATE while the socket is open. */
    watchSocket: fromCallback<KlippyConnectionEvent>(notProvided('watchSocket')),
  },
  delays: {
    reconnectDelay: ({ context }) => (context.connectFailures <= FAST_RETRIES ? POLL_INTERVAL_MS : 1000),
    pollInterval: POLL_INTERVAL_MS,
  },
  guards: {
    // Guards see the context before the transition's actions, so this one reads the reply itself.
    infoSaysStarting: (_, info: KlippyInfo) => info.state === 'startup',
    klippyReports: ({ context }, params: { state: KlippyState }) => context.klippyState === params.state,
    eventReports: ({ event }, params: { state: KlippyState }) =>
      event.type === 'KLIPPY_STATE' && event.state === params.state,
  },
  actions: {
    recordInfo: assign((_, info: KlippyInfo) => ({
      info,
      klippyState: info.state,
      stateMessage: info.state_message,
    })),
    recordReportedState: assign(({ event }) =>
      event.type === 'KLIPPY_STATE' ? { klippyState: event.state, stateMessage: event.message } : {},
    ),
    countConnectFailure: assign({ connectFailures: ({ context }) => context.connectFailures + 1 }),
    resetConnectFailures: assign({ connectFailures: 0 }),
    forgetKlippy: assign({ info: null, klippyState: null, stateMessage: DISCONNECTED_MESSAGE }),
    announceReady: emit({ type: 'klippy.ready' as const }),
    announceShutdown: emit({ type: 'klippy.shutdown' as const }),
    announceDisconnected: emit({ type: 'klippy.disconnected' as const }),
  },
}).createMachine({
  id: 'klippyConnection',
  context: ({ input }) => ({
    ...input,
    info: null,
    klippyState: null,
    stateMessage: DISCONNECTED_MESSAGE,
    connectFailures: 0,
  }),
  initial: 'connecting',
  states: {
    disconnected: {
      entry: 'forgetKlippy',
      after: { reconnectDelay: 'connecting' },
    },
    connecting: {
      invoke: {
        id: 'connectSocket',
        src: 'connectSocket',
        input: ({ context }) => ({ socketPath: context.socketPath }),
        onDone: { target: 'connected', actions: 'resetConnectFailures' },
        onError: { target: 'disconnected', actions: 'countConnectFailure' },
      },
    },
    connected: {
      invoke: { id: 'watchSocket', src: 'watchSocket' },
      on: {
        SOCKET_CLOSED: { target: 'disconnected', actions: 'announceDisconnected' },
        // Before `ready`, a reported state only updates what the next step will route on.
        KLIPPY_STATE: { actions: 'recordReportedState' },
      },
      initial: 'identifying',
      states: {
        identifying: {
          invoke: {
            id: 'identify',
            src: 'queryInfo',
            input: ({ context }) => ({ clientInfo: context.clientInfo }),
            onDone: [
              { guard: { type: 'infoSaysStarting', params: ({ event }) => event.output }, target: 'startup', actions: { type: 'recordInfo', params: ({ event }) => event.output } },
              { target: 'initializing', actions: { type: 'recordInfo', params: ({ event }) => event.output } },
            ],
            onError: { target: 'startup' },
          },
        },
        startup: {
          after: { pollInterval: 'polling' },
        },
        polling: {
          invoke: {
            id: 'poll',
            src: 'queryInfo',
            // client_info goes with the first successful identify only.
            input: ({ context }) => ({ clientInfo: context.info ? undefined : context.clientInfo }),
            onDone: [
              { guard: { type: 'infoSaysStarting', params: ({ event }) => event.output }, target: 'startup', actions: { type: 'recordInfo', params: ({ event }) => event.output } },
              { target: 'initializing', actions: { type: 'recordInfo', params: ({ event }) => event.output } },
            ],
            onError: { target: 'startup' },
          },
        },
        initializing: {
          invoke: {
            id: 'initialize',
            src: 'initialize',
            onDone: [
              { guard: { type: 'klippyReports', params: { state: 'ready' } }, target: 'ready' },
              { guard: { type: 'klippyReports', params: { state: 'error' } }, target: 'error' },
              { guard: { type: 'klippyReports', params: { state: 'shutdown' } }, target: 'shutdown' },
              { target: 'startup' },
            ],
            onError: { target: 'startup' },
          },
        },
        ready: {
          // Entered only once initialization is done (the union subscribed, gcode output
          // followed), so everything that says "ready" to a client says it from here.
          tags: 'klippyReady',
          entry: 'announceReady',
          on: {
            KLIPPY_STATE: [
              { guard: { type: 'eventReports', params: { state: 'shutdown' } }, target: 'shutdown', actions: 'recordReportedState' },
              { guard: { type: 'eventReports', params: { state: 'error' } }, target: 'error', actions: 'recordReportedState' },
              { actions: 'recordReportedState' },
            ],
          },
        },
        error: {
          on: {
            KLIPPY_STATE: [
              { guard: { type: 'eventReports', params: { state: 'ready' } }, target: 'ready', actions: 'recordReportedState' },
              { guard: { type: 'eventReports', params: { state: 'shutdown' } }, target: 'shutdown', actions: 'recordReportedState' },
              { actions: 'recordReportedState' },
            ],
          },
        },
        shutdown: {
          entry: 'announceShutdown',
          on: {
            KLIPPY_STATE: [
              { guard: { type: 'eventReports', params: { state: 'ready' } }, target: 'ready', actions: 'recordReportedState' },
              { guard: { type: 'eventReports', params: { state: 'error' } }, target: 'error', actions: 'recordReportedState' },
              { actions: 'recordReportedState' },
            ],
          },
        },
      },
    },
  },
});

export type KlippyConnectionMachine = typeof klippyConnectionMachine;

/** The `klippy_state` Moonraker reports: "startup" while connected but not yet initialized. */
export type ReportedKlippyState = 'disconnected' | KlippyState;

export function reportedKlippyState(snapshot: { value: unknown }): ReportedKlippyState {
  const v = snapshot.value;
  if (typeof v === 'string') return 'disconnected';
  const inner = (v as { connected?: string }).connected;
  if (inner === 'ready' || inner === 'error' || inner === 'shutdown') return inner;
  return 'startup';
}

/**
 * The state_message that goes with reportedKlippyState: Klippy's own, except while we are still
 * initializing after Klippy said it is ready (then "ready" is not true yet for our clients).
 */
export function reportedStateMessage(snapshot: { value: unknown; context: KlippyConnectionContext }): string {
  const state = reportedKlippyState(snapshot);
  if (state === 'startup' && snapshot.context.klippyState !== 'startup') return INITIALIZING_MESSAGE;
  return snapshot.context.stateMessage;
}
