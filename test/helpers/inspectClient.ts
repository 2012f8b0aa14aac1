// A real websocket client of /debug/inspect for tests: keeps every message and waits on them.
import WebSocket from 'ws';
import type { InspectionMessage, TransitionMessage } from '../../src/actors/inspection.actor.js';

export class InspectClient {
  readonly messages: InspectionMessage[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString('utf8')) as InspectionMessage);
      for (const w of this.waiters) w();
    });
  }

  /** `url` is the server's base URL (http://...). */
  static connect(url: string, headers: Record<string, string> = {}): Promise<InspectClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws') + '/debug/inspect', { headers });
      ws.once('open', () => resolve(new InspectClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  /** Resolves with the first message (already received or future) that matches. */
  waitFor<T extends InspectionMessage = InspectionMessage>(pred: (m: InspectionMessage) => boolean, what: string, timeoutMs = 15_000, since = 0): Promise<T> {
    const found = () => this.messages.slice(since).find(pred) as T | undefined;
    const seen = found();
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = found();
        if (!m) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  /** Resolves once `machine` has made a transition to `to`, counting from message index `since`. */
  waitTransition(machine: string, to: string, since = 0, timeoutMs = 15_000): Promise<TransitionMessage> {
    return this.waitFor<TransitionMessage>(
      (m) => m.type === 'transition' && m.machine === machine && m.to === to,
      `${machine} -> ${to}`,
      timeoutMs,
      since,
    );
  }

  transitions(machine: string, since = 0): TransitionMessage[] {
    return this.messages.slice(since).filter((m): m is TransitionMessage => m.type === 'transition' && m.machine === machine);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
