// The open websocket connections, by id. Broadcasts serialise a notification once, not once per
// client, since a busy printer sends several a second to every UI. The registry also holds the
// bound on what all clients together leave unread: each client's own limit alone let 40
// stalled clients take the server from 103 to 760 MiB.
import { Subject } from 'rxjs';
import { notificationText, type WsConnection } from './wsConnection.js';
import { getLogger } from '../logger.js';

const log = getLogger('websocket');

export class ConnectionRegistry {
  private readonly conns = new Map<number, WsConnection>();
  private nextId = 1;
  /** Emits each connection as it closes, so per-connection state elsewhere can be dropped. */
  readonly closed$ = new Subject<WsConnection>();
  readonly opened$ = new Subject<WsConnection>();

  /** `maxTotalBacklogBytes`: `[server] max_websocket_backlog_total`, in bytes. */
  constructor(readonly maxTotalBacklogBytes = Number.POSITIVE_INFINITY) {}

  /** What every client together has not read yet, in bytes. */
  bufferedBytes(): number {
    let total = 0;
    for (const c of this.conns.values()) total += c.bufferedAmount;
    return total;
  }

  /**
   * Called by a connection that holds a notable backlog: while the total is over the bound,
   * drops the clients with the most unread first (those are the stalled ones; a client that
   * reads holds next to nothing, so it is never chosen while a stalled one is left).
   */
  readonly enforceTotalBacklog = (): void => {
    let total = this.bufferedBytes();
    if (total <= this.maxTotalBacklogBytes) return;
    log.warn(`websocket clients hold ${total} bytes unread, over max_websocket_backlog_total (${this.maxTotalBacklogBytes})`);
    const byBacklog = [...this.conns.values()].sort((a, b) => b.bufferedAmount - a.bufferedAmount);
    for (const c of byBacklog) {
      if (total <= this.maxTotalBacklogBytes) break;
      const held = c.bufferedAmount;
      c.drop('the largest backlog while the total is over max_websocket_backlog_total');
      total -= held;
    }
  };

  allocateId(): number {
    return this.nextId++;
  }

  add(conn: WsConnection): void {
    this.conns.set(conn.id, conn);
    this.opened$.next(conn);
  }

  remove(conn: WsConnection): void {
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
  broadcast(method: string, params?: unknown[], include?: (c: WsConnection) => boolean): void {
    const text = notificationText(method, params);
    if (text === undefined) return;
    for (const c of this.conns.values()) if (!include || include(c)) c.send(text);
  }

  closeAll(): void {
    for (const c of this.conns.values()) c.close();
  }
}
