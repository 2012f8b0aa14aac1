// The bound on what all clients together have left unread: bytes the server has queued for a
// client that are not yet in the kernel's socket buffers live in this process's memory. Each
// websocket has a limit of its own, but 40 stalled clients each under it took the server from
// 103 to 760 MiB; HTTP replies queued for clients that do not read count as well. Past the
// bound the holders with the most unread are dropped first: a client that reads holds next to
// nothing, so it is never chosen while a stalled one is left.
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
  /** How many clients the total bound has dropped (for the log and tests). */
  dropped = 0;

  /** `maxTotalBytes`: `[server] max_websocket_backlog_total`, in bytes. */
  constructor(readonly maxTotalBytes = Number.POSITIVE_INFINITY) {}

  add(h: BacklogHolder): void {
    this.holders.add(h);
  }

  remove(h: BacklogHolder): void {
    this.holders.delete(h);
  }

  /** What every holder together has not sent yet, in bytes. */
  total(): number {
    let total = 0;
    for (const h of this.holders) total += h.bufferedAmount;
    return total;
  }

  /** Called when a holder has a notable backlog: drops the largest holders while over the bound. */
  readonly enforce = (): void => {
    let total = this.total();
    if (total <= this.maxTotalBytes) return;
    log.warn(`clients hold ${total} bytes unread, over max_websocket_backlog_total (${this.maxTotalBytes})`);
    const byBacklog = [...this.holders].sort((a, b) => b.bufferedAmount - a.bufferedAmount);
    for (const h of byBacklog) {
      if (total <= this.maxTotalBytes) break;
      const held = h.bufferedAmount;
      h.drop('the largest backlog while the total is over max_websocket_backlog_total');
      this.holders.delete(h);
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
