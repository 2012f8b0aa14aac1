// The open websocket connections, by id. Broadcasts serialise a notification once, not once per
// client, since a busy printer sends several a second to every UI. Each connection's unread
// bytes count toward the bound on all clients together (unsentBytes.ts).
import { Subject } from 'rxjs';
import { notificationText, type WsConnection } from './wsConnection.js';
import { UnsentBytes } from './unsentBytes.js';
import type { NotificationMethod } from '../shared/notifications.js';
import type { Dialect } from '../shared/dialect.js';

export class ConnectionRegistry {
  private readonly conns = new Map<number, WsConnection>();
  private nextId = 1;
  /** Emits each connection as it closes, so per-connection state elsewhere can be dropped. */
  readonly closed$ = new Subject<WsConnection>();
  readonly opened$ = new Subject<WsConnection>();

  /** What every client (websocket or HTTP) has left unread, and its bound. */
  readonly unsent: UnsentBytes;

  /** `maxTotalBacklogBytes`: `[server] max_websocket_backlog_total`, in bytes. */
  constructor(maxTotalBacklogBytes = Number.POSITIVE_INFINITY) {
    this.unsent = new UnsentBytes(maxTotalBacklogBytes);
  }

  /** What every client together has not read yet, in bytes. */
  bufferedBytes(): number {
    return this.unsent.total();
  }

  allocateId(): number {
    return this.nextId++;
  }

  add(conn: WsConnection): void {
    this.conns.set(conn.id, conn);
    this.unsent.add(conn);
    this.opened$.next(conn);
  }

  remove(conn: WsConnection): void {
    this.unsent.remove(conn);
    if (this.conns.delete(conn.id)) this.closed$.next(conn);
  }

  get(id: number): WsConnection | undefined {
    return this.conns.get(id);
  }

  get size(): number {
    return this.conns.size;
  }

  all(): IterableIterator<WsConnection> {
    return this.conns.values();
  }

  /** Sends a notification to every connection (or those `include` accepts). */
  broadcast(method: NotificationMethod, params?: unknown[], include?: (c: WsConnection) => boolean): void {
    const text = notificationText(method, params);
    if (text === undefined) return;
    for (const c of this.conns.values()) if (!include || include(c)) c.send(text);
  }

  /**
   * Sends a notification whose params depend on the client's dialect: shaped and serialised
   * once per dialect in use; a dialect whose shape is undefined is not told.
   */
  broadcastShaped(method: NotificationMethod, paramsFor: (dialect: Dialect) => unknown[] | undefined): void {
    const texts = new Map<Dialect, string | undefined>();
    for (const c of this.conns.values()) {
      if (!texts.has(c.dialect)) {
        const params = paramsFor(c.dialect);
        texts.set(c.dialect, params === undefined ? undefined : notificationText(method, params));
      }
      const text = texts.get(c.dialect);
      if (text !== undefined) c.send(text);
    }
  }

  closeAll(): void {
    for (const c of this.conns.values()) c.close();
  }
}
