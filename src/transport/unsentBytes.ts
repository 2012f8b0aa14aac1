// The bound on what all clients together have left unread: bytes the server has queued for a
// client that are not yet in the kernel's socket buffers live in this process's memory. Each
// websocket has a limit of its own, but 40 stalled clients each under it took the server from
// 103 to 760 MiB; HTTP replies queued for clients that do not read count as well. Past the
// bound the stalled holders with the most unread are dropped first (see enforce).
import type { ServerResponse } from 'node:http';
import { getLogger } from '../logger.js';

const log = getLogger('backlog');

/**
 * A holder with more than this unread is one the total is checked for: clients that keep up
 * hold far less, so the check costs nothing while everyone reads.
 */
export const BACKLOG_NOTICE_BYTES = 64 * 1024;

export interface BacklogHolder {
  /** Bytes queued for the client, past the kernel's buffers. */
  readonly bufferedAmount: number;
  /** Drops the client at once; what it has not read is discarded. */
  drop(why: string): void;
}

export class UnsentBytes {
  private readonly holders = new Set<BacklogHolder>();
  /** What each holder had unread at the last check. */
  private readonly lastSeen = new Map<BacklogHolder, number>();
  /** How many clients the total bound has dropped (for the log and tests). */
  dropped = 0;

  /** `maxTotalBytes`: `[server] max_websocket_backlog_total`, in bytes. */
  constructor(readonly maxTotalBytes = Number.POSITIVE_INFINITY) {}

  add(h: BacklogHolder): void {
    this.holders.add(h);
  }

  remove(h: BacklogHolder): void {
    this.holders.delete(h);
    this.lastSeen.delete(h);
  }

  /** What every holder together has not sent yet, in bytes. */
  total(): number {
    let total = 0;
    for (const h of this.holders) total += h.bufferedAmount;
    return total;
  }

  /**
   * Called when a holder has a notable backlog: while the total is over the bound, drops first
   * the holders whose backlog was already there at the previous check (stalled ones) and, among
   * them, the largest. A client that reads but was just handed a large reply holds a lot for a
   * moment; what it held at the last check is what shows it is not stalled.
   */
  readonly enforce = (): void => {
    let total = 0;
    const now = [...this.holders].map((h) => {
      const held = h.bufferedAmount;
      total += held;
      const stale = Math.min(held, this.lastSeen.get(h) ?? 0);
      this.lastSeen.set(h, held);
      return { h, held, stale };
    });
    if (total <= this.maxTotalBytes) return;
    log.warn(`clients hold ${total} bytes unread, over max_websocket_backlog_total (${this.maxTotalBytes})`);
    now.sort((a, b) => b.stale - a.stale || b.held - a.held);
    for (const { h, held } of now) {
      if (total <= this.maxTotalBytes) break;
      h.drop('the largest backlog while the total is over max_websocket_backlog_total');
      this.remove(h);
      this.dropped++;
      total -= held;
    }
  };

  /**
   * Counts an HTTP reply just handed to its socket while the client has not taken it, and
   * checks the total. Node stops reading a connection's next requests while its replies are
   * unsent, so one stalled HTTP connection holds about one reply; many of them are bounded here.
   */
  trackHttpReply(res: ServerResponse): void {
    const socket = res.socket;
    if (!socket || socket.writableLength <= BACKLOG_NOTICE_BYTES) return;
    const holder: BacklogHolder = {
      get bufferedAmount() {
        return socket.destroyed ? 0 : socket.writableLength;
      },
      drop(why) {
        log.warn(`dropping HTTP client ${socket.remoteAddress ?? ''}: ${socket.writableLength} bytes unread; ${why}`);
        socket.destroy();
      },
    };
    this.add(holder);
    res.once('close', () => this.remove(holder));
    this.enforce();
  }
}
