// A minimal Klippy API client for the sim's tests: real unix socket, shared ETX framing,
// requests matched to replies by id, and every async message (no id) kept for assertions.

import { connect, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtxDecoder, encodeFrame } from '../../src/shared/etxFraming.js';
import type { JsonObject } from '../../src/shared/klippyProtocol.js';
import { VirtualKlippy, type VirtualKlippyOptions } from '../../src/sim/virtualKlippy.js';

export interface Reply {
  id: unknown;
  result?: JsonObject;
  error?: { error: string; message: string };
}

export class RawClient {
  readonly messages: JsonObject[] = [];
  /** Frames that were not JSON (only a fault injection should produce these). */
  readonly badFrames: string[] = [];
  private readonly pending = new Map<number, (r: Reply) => void>();
  private readonly waiters = new Set<() => void>();
  private readonly decoder = new EtxDecoder();
  private nextId = 1;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        let msg: JsonObject;
        try {
          msg = JSON.parse(frame) as JsonObject;
        } catch {
          this.badFrames.push(frame);
          continue;
        }
        const cb = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
        if (cb) {
          this.pending.delete(msg.id as number);
          cb(msg as unknown as Reply);
        } else {
          this.messages.push(msg);
        }
        for (const w of this.waiters) w();
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters) w();
    });
    socket.on('error', () => undefined);
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends a request and resolves with its reply (result or error). */
  call(method: string, params?: JsonObject): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.write(encodeFrame(params === undefined ? { id, method } : { id, method, params }));
    });
  }

  /** The result of a request that must succeed. */
  async result(method: string, params?: JsonObject): Promise<JsonObject> {
    const r = await this.call(method, params);
    if (!r.result) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`);
    return r.result;
  }

  /** The error message of a request that must fail. */
  async errorOf(method: string, params?: JsonObject): Promise<string> {
    const r = await this.call(method, params);
    if (!r.error) throw new Error(`${method} unexpectedly succeeded: ${JSON.stringify(r.result)}`);
    return r.error.message;
  }

  send(message: unknown): void {
    this.socket.write(encodeFrame(message));
  }

  sendRaw(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Waits until `pred` holds (checked after every message), or fails after `ms`. */
  waitFor<T>(pred: () => T | undefined | false, ms = 5000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const v = pred();
        if (v !== undefined && v !== false) {
          cleanup();
          resolve(v);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      this.waiters.add(waiter);
      check();
    });
  }

  /** Gcode response lines received through gcode/subscribe_output. */
  gcodeLines(): string[] {
    return this.messages
      .filter((m) => m.method === 'gcode_response')
      .map((m) => ((m.params as JsonObject).response as string) ?? '');
  }

  waitForLine(pred: (line: string) => boolean, ms = 5000): Promise<string> {
    return this.waitFor(() => this.gcodeLines().find(pred), ms, 'gcode line');
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface SimHarness {
  sim: VirtualKlippy;
  dir: string;
  /** The sim's gcodes folder (a fresh temp dir unless the test gave one). */
  gcodes: string;
  socketPath: string;
  client: RawClient;
  /** Another connection to the same sim. */
  connect(): Promise<RawClient>;
  cleanup(): Promise<void>;
}

/** Starts a sim in a fresh temp dir, waits for "ready", and connects one client. */
export async function startSim(opts: Partial<VirtualKlippyOptions> = {}, waitReady = true): Promise<SimHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-sim-'));
  const socketPath = join(dir, 'klippy.sock');
  const gcodes = opts.gcodesPath ?? join(dir, 'gcodes');
  if (!opts.gcodesPath) mkdirSync(gcodes);
  const sim = new VirtualKlippy({ socketPath, gcodesPath: gcodes, startupDelayMs: 50, restartDelayMs: 100, ...opts });
  await sim.start();
  const clients: RawClient[] = [];
  const connectOne = async (): Promise<RawClient> => {
    const c = await RawClient.connect(socketPath);
    clients.push(c);
    return c;
  };
  const client = await connectOne();
  if (waitReady) await waitForState(client, 'ready');
  return {
    sim,
    dir,
    gcodes,
    socketPath,
    client,
    connect: connectOne,
    async cleanup() {
      for (const c of clients) c.close();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitForState(client: RawClient, state: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = await client.result('info');
    if (info.state === state) return;
    if (Date.now() > deadline) throw new Error(`state stayed ${String(info.state)}, wanted ${state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Subscribes this client to gcode output under the method name "gcode_response". */
export async function subscribeOutput(client: RawClient): Promise<void> {
  await client.result('gcode/subscribe_output', { response_template: { method: 'gcode_response' } });
}

export async function query(client: RawClient, objects: JsonObject): Promise<Record<string, JsonObject>> {
  const r = await client.result('objects/query', { objects });
  return r.status as Record<string, JsonObject>;
}
