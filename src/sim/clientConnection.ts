// One client of the API socket (webhooks.py ClientConnection). Frames are split with the shared
// ETX decoder; a frame that is not a JSON object with a string method and dict params is
// logged and dropped without a reply, exactly as Klippy does, and the connection carries on.

import type { Socket } from 'node:net';
import { EtxDecoder, FrameTooLargeError, encodeFrame } from '../shared/etxFraming.js';
import type { JsonObject } from '../shared/klippyProtocol.js';
import type { KlippyLog } from './klippyLog.js';
import type { WebConnection } from './webhooks.js';

export interface ParsedRequest {
  id: unknown;
  method: string;
  params: JsonObject;
}

function isDict(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Klippy's WebRequest constructor checks; returns undefined for frames it would drop. */
export function parseRequest(frame: string): ParsedRequest | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (!isDict(msg)) return undefined;
  const params = Object.hasOwn(msg, 'params') ? msg.params : {};
  if (typeof msg.method !== 'string' || !isDict(params)) return undefined;
  return { id: msg.id ?? null, method: msg.method, params };
}

let nextUid = 1;

export class ClientConnection implements WebConnection {
  readonly uid = nextUid++;
  private readonly decoder = new EtxDecoder();
  private closed = false;
  /** Seconds left before a client that stopped reading is dropped (Klippy's blocking_count). */
  private blockingCount = -1;

  constructor(
    private readonly socket: Socket,
    private readonly log: KlippyLog,
    private readonly onRequest: (conn: ClientConnection, req: ParsedRequest) => void,
    private readonly onClose: (conn: ClientConnection) => void,
  ) {
    this.log.info(`webhooks client ${this.uid}: New connection`);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => this.close(false));
    socket.on('error', () => this.close(false));
    socket.on('close', () => this.close(false));
  }

  private received(chunk: Buffer): void {
    let frames: string[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      if (!(e instanceof FrameTooLargeError)) throw e;
      this.log.info(`webhooks: Error decoding Server Request (${e.message})`);
      return;
    }
    for (const frame of frames) {
      const req = parseRequest(frame);
      if (!req) {
        this.log.info(`webhooks: Error decoding Server Request ${frame}`);
        continue;
      }
      this.onRequest(this, req);
    }
  }

  setClientInfo(info: unknown): void {
    this.log.info(`webhooks client ${this.uid}: Client info ${JSON.stringify(info)}`);
  }

  isClosed(): boolean {
    return this.closed;
  }

  send(message: JsonObject): void {
    if (this.closed) return;
    this.socket.write(encodeFrame(message));
  }

  sendRaw(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Once a second: drop a client whose unread output has been piling up for ~5 s. */
  checkBlocked(): void {
    if (this.closed) return;
    if (!this.socket.writableNeedDrain) {
      this.blockingCount = -1;
      return;
    }
    if (this.blockingCount < 0) this.blockingCount = 5;
    else if (--this.blockingCount < 0) {
      this.log.info(`Closing unresponsive client ${this.uid}`);
      this.close(true);
    }
  }

  /** `flush`: let queued replies reach the client before closing (restart); else drop at once (kill). */
  close(flush: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.log.info(`webhooks client ${this.uid}: Disconnected`);
    if (flush) this.socket.end();
    else this.socket.destroy();
    this.onClose(this);
  }
}
