// The I/O end of the Klippy connection: one unix stream socket, requests with ids and a table of
// pending replies, and Klippy's id-less messages (status updates, gcode output) as an RxJS stream.
// Decisions about the connection's lifecycle live in klippyConnection.machine.ts, not here.
import { createConnection, type Socket } from 'node:net';
import { Subject, type Observable } from 'rxjs';
import { EtxDecoder, FrameTooLargeError, encodeFrame } from '../shared/etxFraming.js';
import type { JsonObject } from '../shared/klippyProtocol.js';
import { checkReply, readKlippyFrame } from './klippyMessage.js';
import { badRequest, unavailable, klippyDisconnected, ServerError } from '../shared/errors.js';
import { getLogger } from '../logger.js';

const log = getLogger('klippy.socket');

/** Moonraker's texts: clients rely on them. A lost socket fails requests with DISCONNECTED_MESSAGE
 * (the connection machine's text too), which restart's "disconnect means ok" relies on. */
export const KLIPPY_TIMEOUT = 'Klippy request timed out';
/** Our text when Klippy has stopped reading what we send. */
export const KLIPPY_NOT_READING = 'Klippy is not reading its socket';

/** Klippy's messages are at most a few MiB (configfile); Moonraker's stream limit is 20 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 20 * 1024 * 1024;
/**
 * Requests waiting in our write buffer, unsent because Klippy does not read: past this, new
 * requests are refused with a 503 rather than buffered without bound. A live Klippy reads
 * within milliseconds; the largest real request (a long gcode macro) is far below this.
 */
export const DEFAULT_MAX_UNSENT_BYTES = 4 * 1024 * 1024;

export interface KlippySocketOptions {
  maxFrameBytes?: number;
  maxUnsentBytes?: number;
}

export interface RequestOptions {
  /** Reject with a 500 timeout after this long. Undefined: wait as long as the socket lives. */
  timeoutMs?: number | undefined;
}

export interface KlippyNotification {
  method: string;
  params: JsonObject;
}

interface Pending {
  method: string;
  resolve: (v: JsonObject) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class KlippySocket {
  private readonly pending = new Map<number, Pending>();
  private readonly decoder: EtxDecoder;
  private nextId = 1;
  private open = true;
  private readonly messagesSubject = new Subject<KlippyNotification>();
  private readonly closedSubject = new Subject<void>();

  /**
   * Klippy's asynchronous messages (no id): status updates and gcode output. Already checked:
   * a status update's params are a StatusReply, a gcode response's carry a `response` string.
   */
  readonly messages$: Observable<KlippyNotification> = this.messagesSubject.asObservable();
  /** Emits once, then completes, when the socket is gone for any reason. */
  readonly closed$: Observable<void> = this.closedSubject.asObservable();

  private readonly maxUnsentBytes: number;
  private readonly drops = new DropLog();

  private constructor(
    private readonly socket: Socket,
    opts: KlippySocketOptions,
  ) {
    this.decoder = new EtxDecoder(opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.maxUnsentBytes = opts.maxUnsentBytes ?? DEFAULT_MAX_UNSENT_BYTES;
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => log.debug(`socket error: ${err.message}`));
    socket.on('close', () => this.onClose());
  }

  /** Opens the socket; rejects if Klippy is not listening at `path`. */
  static connect(path: string, opts: KlippySocketOptions = {}): Promise<KlippySocket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const onError = (err: Error) => {
        socket.destroy();
        reject(err);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new KlippySocket(socket, opts));
      });
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  request(method: string, params: JsonObject = {}, opts: RequestOptions = {}): Promise<JsonObject> {
    if (!this.open) return Promise.reject(klippyDisconnected());
    if (this.socket.writableLength > this.maxUnsentBytes) {
      const mib = (this.socket.writableLength / 1024 / 1024).toFixed(1);
      return Promise.reject(unavailable(`${KLIPPY_NOT_READING}: ${mib} MiB of requests unsent (${method} refused)`));
    }
    const id = this.nextId++;
    return new Promise<JsonObject>((resolve, reject) => {
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              if (this.pending.delete(id)) reject(new ServerError('klippy_timeout', `${KLIPPY_TIMEOUT} (${method})`));
            }, opts.timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.socket.write(encodeFrame({ id, method, params }));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: string[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (err instanceof FrameTooLargeError) {
        log.error(`Klippy sent ${err.limit} bytes without a frame end; closing the connection`);
        this.socket.destroy();
        return;
      }
      throw err;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  /** One frame from Klippy: checked at this edge (klippyMessage.ts), then routed or dropped. */
  private onFrame(frame: string): void {
    const m = readKlippyFrame(frame);
    switch (m.kind) {
      case 'invalid':
        this.drops.drop(`${m.why}: ${frame.slice(0, 200)}`);
        return;
      case 'notification':
        this.messagesSubject.next({ method: m.method, params: m.params });
        return;
    }
    const p = this.pending.get(m.id);
    if (!p) {
      // A reply to a request that already timed out, or to an id we never sent.
      log.debug(`reply for unknown request id ${m.id}`);
      return;
    }
    this.pending.delete(m.id);
    if (p.timer) clearTimeout(p.timer);
    if (m.kind === 'error') {
      p.reject(badRequest(m.message));
      return;
    }
    const result = checkReply(p.method, m.result);
    if (typeof result === 'string') {
      this.drops.drop(`reply to ${p.method}: ${result}: ${frame.slice(0, 200)}`);
      p.reject(new ServerError('klippy_invalid_reply', `Klippy sent an invalid reply to ${p.method}: ${result}`));
    } else {
      p.resolve(result);
    }
  }

  private onClose(): void {
    if (!this.open) return;
    this.open = false;
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(klippyDisconnected());
    }
    this.messagesSubject.complete();
    this.closedSubject.next();
    this.closedSubject.complete();
  }
}

/**
 * Logs what a misbehaving Klippy sends without letting it flood the log: the first few drops in
 * full, then one line per thousand.
 */
class DropLog {
  private count = 0;

  drop(what: string): void {
    this.count++;
    if (this.count <= 20) log.warn(`dropped a message from Klippy (${what})`);
    else if (this.count % 1000 === 0) log.warn(`dropped ${this.count} messages from Klippy so far; latest: ${what}`);
  }
}
