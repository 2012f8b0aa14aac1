// The API unix socket of one printer run (webhooks.py ServerSocket): deletes a stale socket
// file, listens, accepts any number of clients, and hands each request to the printer. When the
// run ends every client and the listening socket are closed, so clients must reconnect.

import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { KlippyReply } from '../shared/klippyProtocol.js';
import { ClientConnection, type ParsedRequest } from './clientConnection.js';
import type { KlippyLog } from './klippyLog.js';
import type { Printer } from './printer.js';
import { WebRequest } from './webhooks.js';

export interface ReplyFaults {
  replyDelayMs: number;
  delayedMethods?: Set<string> | undefined;
  /** Requests received, per method: lets tests see what reached Klippy and what did not. */
  readonly requestCounts?: Map<string, number>;
}

export class ServerSocket {
  readonly clients = new Set<ClientConnection>();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly statsTimer: NodeJS.Timeout;
  private readonly delayed = new Set<NodeJS.Timeout>();

  constructor(
    private readonly socketPath: string,
    private readonly printer: Printer,
    private readonly log: KlippyLog,
    private readonly faults: ReplyFaults,
  ) {
    this.server = createServer((socket) => this.accept(socket));
    this.statsTimer = setInterval(() => {
      for (const c of this.clients) c.checkBlocked();
    }, 1000);
  }

  listen(): Promise<void> {
    try {
      rmSync(this.socketPath, { force: true });
    } catch (e) {
      this.log.info(`webhooks: Unable to delete socket file '${this.socketPath}'`);
      throw e;
    }
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const conn = new ClientConnection(
      socket,
      this.log,
      (c, req) => this.dispatch(c, req),
      (c) => this.clients.delete(c),
    );
    this.clients.add(conn);
  }

  private dispatch(conn: ClientConnection, parsed: ParsedRequest): void {
    const counts = this.faults.requestCounts;
    counts?.set(parsed.method, (counts.get(parsed.method) ?? 0) + 1);
    const req = new WebRequest(conn, parsed.id, parsed.method, parsed.params);
    this.printer.webhooks
      .process(req)
      .then((reply) => {
        if (reply) this.reply(conn, parsed.method, reply);
      })
      .catch((e: unknown) => this.log.info(`webhooks: reply failed: ${String(e)}`));
  }

  private reply(conn: ClientConnection, method: string, reply: KlippyReply): void {
    const { replyDelayMs, delayedMethods } = this.faults;
    const delay = replyDelayMs > 0 && (!delayedMethods || delayedMethods.has(method)) ? replyDelayMs : 0;
    if (!delay) {
      conn.send(reply);
      return;
    }
    const t = setTimeout(() => {
      this.delayed.delete(t);
      conn.send(reply);
    }, delay);
    this.delayed.add(t);
  }

  sendRaw(bytes: Buffer): void {
    for (const c of this.clients) c.sendRaw(bytes);
  }

  /** Closes every client and the listening socket. `flush` lets pending output drain first. */
  close(flush: boolean): void {
    clearInterval(this.statsTimer);
    for (const t of this.delayed) clearTimeout(t);
    this.delayed.clear();
    for (const c of [...this.clients]) c.close(flush);
    // Stop listening now; the close callback would wait for clients that never hang up.
    this.server.close();
    const sockets = [...this.sockets];
    if (!flush) for (const s of sockets) s.destroy();
    else setTimeout(() => sockets.forEach((s) => s.destroy()), 1000).unref();
  }
}
