// One websocket client. Everything we send it goes through `send`, which refuses to let a client
// that stopped reading pile up unbounded memory: past the backlog limit it is dropped.
import type { Dialect } from '../shared/dialect.js';
import { getLogger } from '../logger.js';
import { BACKLOG_NOTICE_BYTES, type BacklogHolder } from './unsentBytes.js';
import type { NotificationMethod } from '../shared/notifications.js';

const log = getLogger('websocket');

/**
 * What a connection needs of its socket: a websocket, or a unix socket framed as Moonraker
 * frames it (unixSocketServer.ts), so both kinds get notifications and the backlog limit alike.
 */
export interface MessageSocket {
  readonly bufferedAmount: number;
  send(text: string): void;
  terminate(): void;
  close(code?: number, reason?: string): void;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface ClientIdentity {
  client_name: string;
  version: string;
  type: string;
  url: string;
}

export class WsConnection implements BacklogHolder {
  dialect: Dialect = 'spec';
  identity: ClientIdentity | undefined;
  /** Set once this connection subscribes to printer objects itself. */
  hasOwnSubscription = false;
  private closed = false;

  constructor(
    readonly id: number,
    private readonly ws: MessageSocket,
    readonly clientAddress: string,
    private readonly maxBacklogBytes: number,
    private readonly onClose: (conn: WsConnection) => void,
    /** Called when this client holds a notable backlog, so the total over all clients is checked. */
    private readonly onBacklog: (conn: WsConnection) => void = () => undefined,
  ) {
    ws.on('close', () => this.markClosed());
    ws.on('error', (err) => log.debug(`connection ${id}: ${err.message}`));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Bytes sent to this client that it has not read yet (past the kernel's socket buffers). */
  get bufferedAmount(): number {
    return this.closed ? 0 : this.ws.bufferedAmount;
  }

  /** Drops the client at once: what it has not read is discarded. */
  drop(why: string): void {
    if (this.closed) return;
    log.warn(`dropping websocket ${this.id} (${this.clientAddress}): ${this.ws.bufferedAmount} bytes unread; ${why}`);
    this.ws.terminate();
    this.markClosed();
  }

  /** Sends one text frame; returns false if the client is gone or was just dropped. */
  send(text: string): boolean {
    if (this.closed) return false;
    if (this.ws.bufferedAmount + text.length > this.maxBacklogBytes) {
      this.drop('over max_websocket_backlog');
      return false;
    }
    try {
      this.ws.send(text);
    } catch (err) {
      // The socket closed under us (or the frame could not be made): this client only.
      log.warn(`websocket ${this.id}: send failed: ${(err as Error).message}`);
      this.ws.terminate();
      this.markClosed();
      return false;
    }
    if (this.ws.bufferedAmount > BACKLOG_NOTICE_BYTES) this.onBacklog(this);
    return !this.closed;
  }

  /** A JSON-RPC notification; `params` is left out when there are none, as Moonraker does. */
  notify(method: NotificationMethod, params?: unknown[]): boolean {
    const text = notificationText(method, params);
    return text !== undefined && this.send(text);
  }

  close(code = 1001, reason = 'server closing'): void {
    this.ws.close(code, reason);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }
}

/**
 * A notification's text, or undefined (logged) when it cannot be serialised (over V8's string
 * limit, say): a notification is never worth the process. It is not measured first as replies
 * are (status updates go out several times a second); `send` holds it to the backlog limit.
 */
export function notificationText(method: NotificationMethod, params: unknown[] | undefined): string | undefined {
  try {
    return JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  } catch (err) {
    log.error(`notification ${method} not sent: ${(err as Error).message}`);
    return undefined;
  }
}
