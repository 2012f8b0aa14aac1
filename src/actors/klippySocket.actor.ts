// The I/O end of the Klippy connection: one unix stream socket, requests with ids and a table of
// pending replies, and Klippy's id-less messages (status updates, gcode output) as an RxJS stream.
// Decisions about the connection's lifecycle live in klippyConnection.machine.ts, not here.
import { createConnection, type Socket } from 'node:net';
import { Subject, type Observable } from 'rxjs';
import { EtxDecoder, FrameTooLargeError, encodeFrame } from '../shared/etxFraming.js';
import type { JsonObject } from '../shared/klippyProtocol.js';
import { ApiError } from '../transport/apiError.js';
import { getLogger } from '../logger.js';

const log = getLogger('klippy.socket');

/** Moonraker's texts: clients (and restart's "disconnect means ok") rely on them. */
export const KLIPPY_DISCONNECTED = 'Klippy Disconnected';
export const KLIPPY_TIMEOUT = 'Klippy request timed out';

export interface RequestOptions {
  /** Reject with a 500 timeout after this long. Undefined: wait as long as the socket lives. */
  timeoutMs?: number | undefined;
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
  private readonly messagesSubject = new Subject<JsonObject>();
  private readonly closedSubject = new Subject<void>();

  /** Klippy's asynchronous messages (no id): status updates and gcode output. */
  readonly messages$: Observable<JsonObject> = this.messagesSubject.asObservable();
  /** Emits once, then completes, when the socket is gone for any reason. */
  readonly closed$: Observable<void> = this.closedSubject.asObservable();

  private constructor(
    private readonly socket: Socket,
    maxFrameBytes: number,
  ) {
    this.decoder = new EtxDecoder(maxFrameBytes);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => log.debug(`socket error: ${err.message}`));
    socket.on('close', () => this.onClose());
  }

  /** Opens the socket; rejects if Klippy is not listening at `path`. */
  static connect(path: string, maxFrameBytes = 20 * 1024 * 1024): Promise<KlippySocket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const onError = (err: Error) => {
        socket.destroy();
        reject(err);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new KlippySocket(socket, maxFrameBytes));
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
    if (!this.open) return Promise.reject(new ApiError(503, KLIPPY_DISCONNECTED));
    const id = this.nextId++;
    return new Promise<JsonObject>((resolve, reject) => {
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              if (this.pending.delete(id)) reject(new ApiError(500, `${KLIPPY_TIMEOUT} (${method})`));
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

  private onFrame(frame: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(frame);
    } catch {
      log.warn(`skipping a frame from Klippy that is not JSON: ${frame.slice(0, 200)}`);
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      log.warn(`skipping a frame from Klippy that is not an object: ${frame.slice(0, 200)}`);
      return;
    }
    const m = msg as JsonObject;
    if (!('id' in m)) {
      this.messagesSubject.next(m);
      return;
    }
    const p = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
    if (!p) {
      // A reply to a request that already timed out, or to an id we never sent.
      log.debug(`reply for unknown request id ${JSON.stringify(m.id)}`);
      return;
    }
    this.pending.delete(m.id as number);
    if (p.timer) clearTimeout(p.timer);
    const error = m.error as { message?: unknown } | undefined;
    if (error !== undefined && error !== null) {
      const text = typeof error.message === 'string' ? error.message : JSON.stringify(error);
      p.reject(new ApiError(400, text));
    } else {
      const result = m.result;
      p.resolve(typeof result === 'object' && result !== null ? (result as JsonObject) : {});
    }
  }

  private onClose(): void {
    if (!this.open) return;
    this.open = false;
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new ApiError(503, KLIPPY_DISCONNECTED));
    }
    this.messagesSubject.complete();
    this.closedSubject.next();
    this.closedSubject.complete();
  }
}
