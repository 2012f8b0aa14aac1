// A JSON-RPC client for Moonraker's unix socket, written from the framing rule alone (one JSON
// text, then 0x03), not from our server's code: what a local agent or script would write.
import { createConnection, type Socket } from 'node:net';

export interface UnixMessage {
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

export class UnixRpcClient {
  readonly messages: UnixMessage[] = [];
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private waiters: Array<{ pred: (m: UnixMessage) => boolean; resolve: (m: UnixMessage) => void }> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      let i: number;
      while ((i = this.buffer.indexOf(0x03)) !== -1) {
        const m = JSON.parse(this.buffer.subarray(0, i).toString('utf8')) as UnixMessage;
        this.buffer = this.buffer.subarray(i + 1);
        this.messages.push(m);
        this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static connect(path: string): Promise<UnixRpcClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => resolve(new UnixRpcClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends raw bytes as they are (frames split or joined however the test likes). */
  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  waitFor(pred: (m: UnixMessage) => boolean, timeoutMs = 5000): Promise<UnixMessage> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no such message on the unix socket')), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  /** One request; resolves with the whole reply (result or error). */
  async request(method: string, params?: unknown): Promise<UnixMessage> {
    const id = this.nextId++;
    this.write(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }) + '\x03');
    return this.waitFor((m) => m.id === id);
  }

  close(): void {
    this.socket.destroy();
  }
}
