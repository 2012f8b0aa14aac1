// A real websocket JSON-RPC client for tests: calls with ids, and a log of notifications that
// tests can wait on.
import WebSocket from 'ws';

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Notification {
  method: string;
  params?: unknown[];
}

export class RpcClient {
  readonly notifications: Notification[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private waiters: Array<{ pred: (n: Notification) => boolean; resolve: (n: Notification) => void }> = [];
  /** Raw replies that were not to our own numbered calls (e.g. parse errors with id null). */
  readonly strayReplies: unknown[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.onMessage(data.toString('utf8')));
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('websocket closed'));
      this.pending.clear();
    });
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => resolve(new RpcClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text);
    // A batch reply (or an error for a malformed batch) is not for one of our numbered calls.
    if (Array.isArray(msg)) {
      this.strayReplies.push(msg);
      return;
    }
    for (const m of [msg]) {
      if ('method' in m && !('id' in m)) {
        const n: Notification = m.params === undefined ? { method: m.method } : { method: m.method, params: m.params };
        this.notifications.push(n);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(n)) return true;
          w.resolve(n);
          return false;
        });
        continue;
      }
      const p = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
      if (!p) {
        this.strayReplies.push(m);
        continue;
      }
      this.pending.delete(m.id);
      if (m.error) p.reject(new RpcError(m.error.code, m.error.message));
      else p.resolve(m.result);
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<T = any>(method: string, params?: unknown): Promise<T> {
    const id = this.nextId++;
    const msg = params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id };
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify(msg));
    });
  }

  /** Sends raw text and resolves with the next stray reply (for malformed-input tests). */
  sendRaw(text: string | Buffer, binary = false): Promise<unknown> {
    const before = this.strayReplies.length;
    this.ws.send(text, { binary });
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + 5000;
      const poll = () => {
        if (this.strayReplies.length > before) resolve(this.strayReplies[before]);
        else if (Date.now() > deadline) reject(new Error('no reply'));
        else setTimeout(poll, 5);
      };
      poll();
    });
  }

  /** Resolves with the first notification (already received or future) that matches. */
  waitFor(method: string, pred: (params: unknown[] | undefined) => boolean = () => true, timeoutMs = 10_000, since = 0): Promise<Notification> {
    const match = (n: Notification) => n.method === method && pred(n.params);
    const seen = this.notifications.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${method}`)), timeoutMs);
      this.waiters.push({
        pred: match,
        resolve: (n) => {
          clearTimeout(timer);
          resolve(n);
        },
      });
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
