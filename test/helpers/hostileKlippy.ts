// A misbehaving Klippy on a real unix socket: a man in the middle between the server and the
// virtual Klippy, so the server goes through its real handshake and sees a real printer, while
// the test makes "Klippy" send any bytes, answer a method with any reply, lose replies, or stop
// reading what the server writes.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualKlippy } from '../../src/sim/virtualKlippy.js';
import { EtxDecoder, encodeFrame } from '../../src/shared/etxFraming.js';

/** What to answer instead of Klippy's reply: bytes as they are, an object framed, or nothing. */
export type Rewrite = (reply: Record<string, unknown>, request: { id: number; method: string; params: unknown }) => Buffer | object | 'drop';

interface Link {
  down: Socket;
  up: Socket;
  /** Request id → request, for the replies on their way back. */
  requests: Map<number, { id: number; method: string; params: unknown }>;
}

export class HostileKlippy {
  /** Replies to these methods are rewritten on their way to the server. */
  readonly rewrites = new Map<string, Rewrite>();
  /** Requests the server sent, by method, since the start. */
  readonly requestCounts = new Map<string, number>();
  private readonly links = new Set<Link>();
  private stalled = false;

  private constructor(
    private readonly server: Server,
    private readonly upstreamPath: string,
  ) {}

  /** Listens at `path` and relays each connection to the Klippy listening at `upstreamPath`. */
  static async start(path: string, upstreamPath: string): Promise<HostileKlippy> {
    rmSync(path, { force: true });
    const server = createServer();
    const self = new HostileKlippy(server, upstreamPath);
    server.on('connection', (down) => self.accept(down));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return self;
  }

  private accept(down: Socket): void {
    const up = createConnection(this.upstreamPath);
    const link: Link = { down, up, requests: new Map() };
    this.links.add(link);
    if (this.stalled) down.pause();
    const end = () => {
      this.links.delete(link);
      down.destroy();
      up.destroy();
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    const fromServer = new EtxDecoder(64 * 1024 * 1024);
    down.on('data', (chunk: Buffer) => {
      for (const frame of fromServer.push(chunk)) {
        const req = JSON.parse(frame) as { id: number; method: string; params: unknown };
        link.requests.set(req.id, req);
        this.requestCounts.set(req.method, (this.requestCounts.get(req.method) ?? 0) + 1);
        up.write(encodeFrame(req));
      }
    });
    const fromKlippy = new EtxDecoder(64 * 1024 * 1024);
    up.on('data', (chunk: Buffer) => {
      for (const frame of fromKlippy.push(chunk)) {
        const msg = JSON.parse(frame) as Record<string, unknown>;
        const req = typeof msg.id === 'number' ? link.requests.get(msg.id) : undefined;
        if (req) link.requests.delete(req.id);
        const rewrite = req ? this.rewrites.get(req.method) : undefined;
        if (!req || !rewrite) {
          down.write(Buffer.concat([Buffer.from(frame), Buffer.of(0x03)]));
          continue;
        }
        const out = rewrite(msg, req);
        if (out === 'drop') continue;
        down.write(Buffer.isBuffer(out) ? out : encodeFrame(out));
      }
    });
  }

  /** Ids of the server's requests that Klippy has not answered yet. */
  pendingIds(): number[] {
    return [...this.links].flatMap((l) => [...l.requests.keys()]);
  }

  get connections(): number {
    return this.links.size;
  }

  /** Writes bytes (or one framed object) to the server on every connection. */
  send(message: Buffer | object): void {
    const bytes = Buffer.isBuffer(message) ? message : encodeFrame(message);
    for (const l of this.links) l.down.write(bytes);
  }

  /** Stops reading what the server writes: its requests pile up in its own write buffer. */
  stallReading(): void {
    this.stalled = true;
    for (const l of this.links) l.down.pause();
  }

  resumeReading(): void {
    this.stalled = false;
    for (const l of this.links) l.down.resume();
  }

  /** Hangs up on the server, as a Klippy that exits would. */
  dropConnections(): void {
    for (const l of [...this.links]) {
      l.down.destroy();
      l.up.destroy();
    }
  }

  close(): Promise<void> {
    this.dropConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A virtual Klippy behind a HostileKlippy, in a temp folder: the peer the Klippy-side attack tests share. */
export interface HostilePeer {
  dir: string;
  /** The server's data path (its gcodes folder is the virtual Klippy's SD card). */
  dataPath: string;
  /** The socket the server must connect to: the man in the middle's. */
  proxyPath: string;
  sim: VirtualKlippy;
  klippy: HostileKlippy;
  /** Stops the man in the middle and the virtual Klippy and removes the folder (stop the server first). */
  close(): Promise<void>;
}

export async function startHostilePeer(prefix: string, timeScale: number): Promise<HostilePeer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const simPath = join(dir, 'sim.sock');
  const proxyPath = join(dir, 'klippy.sock');
  const dataPath = join(dir, 'data');
  const gcodes = join(dataPath, 'gcodes');
  mkdirSync(gcodes, { recursive: true });
  const sim = new VirtualKlippy({ socketPath: simPath, gcodesPath: gcodes, timeScale, startupDelayMs: 50, restartDelayMs: 50 });
  await sim.start();
  const klippy = await HostileKlippy.start(proxyPath, simPath);
  return {
    dir,
    dataPath,
    proxyPath,
    sim,
    klippy,
    async close() {
      await klippy.close();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
