// Runs the klippyConnection machine with real I/O: the socket actor, `info`/`list_endpoints`
// requests, and a watcher that turns socket closure and `webhooks` state reports into events.
// Everything else in the server talks to Klippy through this one object.
import { createActor, fromCallback, fromPromise, type Actor, type InspectionEvent } from 'xstate';
import { BehaviorSubject, Subject, distinctUntilChanged, type Observable } from 'rxjs';
import {
  klippyConnectionMachine,
  reportedKlippyState,
  reportedStateMessage,
  type KlippyConnectionEmitted,
  type KlippyConnectionEvent,
  type ReportedKlippyState,
} from '../machines/klippyConnection.machine.js';
import { KlippySocket, type KlippyNotification, type RequestOptions } from './klippySocket.js';
import {
  GCODE_RESPONSE_METHOD,
  STATUS_UPDATE_METHOD,
  isKlippyState,
  type JsonObject,
  type KlippyInfo,
  type KlippyState,
  type StatusReply,
} from '../shared/klippyProtocol.js';
import { unavailable } from '../shared/errors.js';
import { getLogger } from '../logger.js';

const log = getLogger('klippy');

/** Moonraker's text for a request made while no socket is open. */
export const KLIPPY_NOT_CONNECTED = 'Klippy Host not connected';

/**
 * Everything but gcode is answered by Klippy within a status tick; past this limit it has
 * stopped answering and only that request fails.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/**
 * Requests that run gcode can legitimately take long (M109, homing, a heat-soak macro): Moonraker
 * lets them wait as long as the socket lives. We wait long but not for ever, so that a reply
 * Klippy lost cannot hold a client (and its request's memory) until the socket dies.
 * `[server] klippy_gcode_timeout` changes it.
 */
export const DEFAULT_GCODE_TIMEOUT_MS = 60 * 60 * 1000;
const RUNS_GCODE = /^(gcode\/|pause_resume\/|query_endstops\/status$|emergency_stop$)/;
/**
 * Requests that cannot change what the printer's objects report. Every other one (gcode,
 * print control, restarts, emergency stop, endpoints we do not know) may, so its
 * acknowledgement is announced on `writeAcked$` (the status cache is stale until Klippy
 * reports again).
 */
const READ_ONLY = new Set(['info', 'list_endpoints', 'objects/list', 'objects/query', 'objects/subscribe', 'gcode/help', 'gcode/subscribe_output']);

export interface KlippyConnectionOptions {
  socketPath: string;
  clientInfo: JsonObject;
  requestTimeoutMs?: number;
  /** How long a request that runs gcode may wait for its reply. */
  gcodeTimeoutMs?: number;
  /** Bytes of requests Klippy may leave unread before new ones are refused (503). */
  maxUnsentBytes?: number;
  /** Receives the machine's inspection events (the inspector, tests). */
  inspect?: (ev: InspectionEvent) => void;
}

export type InitStep = () => Promise<void>;

export class KlippyConnection {
  private socket: KlippySocket | undefined;
  private readonly initSteps: InitStep[] = [];
  private readonly statusSubject = new Subject<StatusReply>();
  private readonly gcodeSubject = new Subject<string>();
  private readonly eventsSubject = new Subject<KlippyConnectionEmitted>();
  private readonly stateSubject = new BehaviorSubject<ReportedKlippyState>('disconnected');
  private readonly writeAckedSubject = new Subject<string>();
  private readonly messageHandlers = new Map<string, (params: JsonObject) => void>();
  readonly actor: Actor<typeof klippyConnectionMachine>;
  endpoints: string[] = [];
  /**
   * Klippy's printer objects, listed each time it becomes ready (as Moonraker checks its
   * requirements then); empty while not ready. server.info answers from it without asking.
   */
  objects: string[] = [];

  /** Status diffs Klippy pushes for the current subscription. */
  readonly status$: Observable<StatusReply> = this.statusSubject.asObservable();
  /** Every line of gcode output. */
  readonly gcode$: Observable<string> = this.gcodeSubject.asObservable();
  /** ready / shutdown / disconnected announcements, as the machine emits them. */
  readonly events$: Observable<KlippyConnectionEmitted> = this.eventsSubject.asObservable();
  /** The klippy_state Moonraker reports: disconnected, startup, ready, error, shutdown. */
  readonly state$: Observable<ReportedKlippyState> = this.stateSubject.pipe(distinctUntilChanged());
  /**
   * The method of each request that may have changed the printer, as Klippy answers it (or
   * fails it): emitted before the requester hears the answer.
   */
  readonly writeAcked$: Observable<string> = this.writeAckedSubject.asObservable();

  constructor(private readonly opts: KlippyConnectionOptions) {
    // Both shapes were checked at the socket's edge (klippyMessage.ts).
    this.messageHandlers.set(STATUS_UPDATE_METHOD, (p) => this.statusSubject.next(p as unknown as StatusReply));
    this.messageHandlers.set(GCODE_RESPONSE_METHOD, (p) => this.gcodeSubject.next(p.response as string));
    const machine = klippyConnectionMachine.provide({
      actors: {
        connectSocket: fromPromise(async ({ input }) => {
          const socket = await KlippySocket.connect(input.socketPath, opts.maxUnsentBytes !== undefined ? { maxUnsentBytes: opts.maxUnsentBytes } : {});
          this.socket = socket;
          socket.messages$.subscribe((m) => this.dispatchMessage(m));
          log.info(`connected to Klippy at ${input.socketPath}`);
        }),
        queryInfo: fromPromise(async ({ input }) => {
          const params = input.clientInfo ? { client_info: input.clientInfo } : {};
          const info = await this.request('info', params, { timeoutMs: 5000 });
          if (!isKlippyState(info.state)) throw new Error(`info reply without a valid state: ${JSON.stringify(info)}`);
          return info as KlippyInfo;
        }),
        initialize: fromPromise(async () => {
          const eps = await this.request('list_endpoints');
          this.endpoints = Array.isArray(eps.endpoints) ? eps.endpoints.filter((e): e is string => typeof e === 'string') : [];
          for (const step of this.initSteps) await step();
          await this.request('gcode/subscribe_output', { response_template: { method: GCODE_RESPONSE_METHOD } });
        }),
        watchSocket: fromCallback<KlippyConnectionEvent>(({ sendBack }) => {
          const socket = this.socket;
          if (!socket?.isOpen) {
            sendBack({ type: 'SOCKET_CLOSED' });
            return () => {};
          }
          const closed = socket.closed$.subscribe(() => sendBack({ type: 'SOCKET_CLOSED' }));
          const states = this.statusSubject.subscribe(({ status }) => {
            const wh = status.webhooks;
            if (wh && isKlippyState(wh.state)) {
              sendBack({ type: 'KLIPPY_STATE', state: wh.state, message: typeof wh.state_message === 'string' ? wh.state_message : '' });
            }
          });
          return () => {
            closed.unsubscribe();
            states.unsubscribe();
          };
        }),
      },
    });
    this.actor = createActor(machine, {
      input: { socketPath: opts.socketPath, clientInfo: opts.clientInfo },
      ...(opts.inspect ? { inspect: opts.inspect } : {}),
    });
    this.actor.subscribe((snap) => {
      const next = reportedKlippyState(snap);
      if (next !== this.stateSubject.value) {
        const why = next === 'error' || next === 'shutdown' ? `: ${String(snap.context.stateMessage).trim()}` : '';
        log.info(`Klippy state: ${next}${why}`);
        this.stateSubject.next(next);
      }
    });
    this.actor.on('*', (ev) => this.eventsSubject.next(ev));
    this.events$.subscribe((ev) => {
      if (ev.type === 'klippy.ready') void this.listObjects();
      else if (ev.type === 'klippy.disconnected') this.objects = [];
    });
  }

  private async listObjects(): Promise<void> {
    try {
      const reply = await this.request('objects/list');
      // The reply was checked at the socket's edge: a list of strings.
      this.objects = reply.objects as string[];
    } catch (err) {
      log.warn(`cannot list Klippy's objects: ${(err as Error).message}`);
    }
  }

  /** Adds a step to run, in order, each time the connection initializes (e.g. subscriptions). */
  onInitialize(step: InitStep): void {
    this.initSteps.push(step);
  }

  /** Routes Klippy's id-less messages with this `method` (remote methods) to `handler`. */
  onKlippyMessage(method: string, handler: (params: JsonObject) => void): void {
    this.messageHandlers.set(method, handler);
  }

  private dispatchMessage(m: KlippyNotification): void {
    const handler = this.messageHandlers.get(m.method);
    if (!handler) {
      log.debug(`unhandled message from Klippy: ${m.method.slice(0, 100)}`);
      return;
    }
    handler(m.params);
  }

  start(): void {
    this.actor.start();
  }

  stop(): void {
    this.actor.stop();
    this.socket?.close();
    this.statusSubject.complete();
    this.gcodeSubject.complete();
    this.eventsSubject.complete();
    this.stateSubject.complete();
    this.writeAckedSubject.complete();
  }

  /**
   * The klippy_state every client reads (server.info, printer.info, the print endpoints): the
   * machine's, read from its snapshot, so it has already changed when the machine's own
   * announcements (notify_klippy_ready) go out.
   */
  get state(): ReportedKlippyState {
    return reportedKlippyState(this.actor.getSnapshot());
  }

  /** The connection machine is ready (its `klippyReady` tag). */
  get isReady(): boolean {
    return this.actor.getSnapshot().hasTag('klippyReady');
  }

  /** The message that goes with `state`. */
  get reportedMessage(): string {
    return reportedStateMessage(this.actor.getSnapshot());
  }

  /**
   * Klippy's state as some reply (an `info`) just showed it: fed to the machine like a webhooks
   * report, so a shutdown seen there is not contradicted by what we report.
   */
  noteReportedState(state: KlippyState, message: string): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'KLIPPY_STATE', state, message });
  }

  get info(): KlippyInfo | null {
    return this.actor.getSnapshot().context.info;
  }

  get stateMessage(): string {
    return this.actor.getSnapshot().context.stateMessage;
  }

  get isConnected(): boolean {
    return this.socket?.isOpen === true;
  }

  /**
   * Sends one request; every request ends. Fails with 503 when no socket is open, it closes
   * before the reply or Klippy has stopped reading, 400 with Klippy's message on an error reply,
   * 502 on a reply of the wrong shape, 500 on timeout.
   */
  request(method: string, params: JsonObject = {}, opts: RequestOptions = {}): Promise<JsonObject> {
    const socket = this.socket;
    if (!socket?.isOpen) return Promise.reject(unavailable(KLIPPY_NOT_CONNECTED));
    const timeoutMs =
      opts.timeoutMs ??
      (RUNS_GCODE.test(method) ? (this.opts.gcodeTimeoutMs ?? DEFAULT_GCODE_TIMEOUT_MS) : (this.opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS));
    const reply = socket.request(method, params, { timeoutMs });
    if (!READ_ONLY.has(method)) {
      // Registered before the caller's own handlers, so this runs first.
      const acked = () => this.writeAckedSubject.next(method);
      reply.then(acked, acked);
    }
    return reply;
  }
}
