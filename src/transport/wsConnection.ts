// One websocket client. Everything we send it goes through `send`, which refuses to let a client
// that stopped reading pile up unbounded memory: past the backlog limit it is dropped.
import type { Dialect } from './requestContext.js';
import { getLogger } from '../logger.js';

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

export class WsConnection {
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
  ) {
    ws.on('close', () => this.markClosed());
    ws.on('error', (err) => log.debug(`connection ${id}: ${err.message}`));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends one text frame; returns false if the client is gone or was just dropped. */
  send(text: string): boolean {
    if (this.closed) return false;
    if (this.ws.bufferedAmount + text.length > this.maxBacklogBytes) {
      log.warn(`dropping websocket ${this.id} (${this.clientAddress}): ${this.ws.bufferedAmount} bytes unread`);
      this.ws.terminate();
      this.markClosed();
      return false;
    }
    this.ws.send(text);
    return true;
  }

  /** A JSON-RPC notification; `params` is left out when there are none, as Moonraker does. */
  notify(method: string, params?: unknown[]): boolean {
    return this.send(JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }));
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
