// The whole server on real sockets in a temp dir, with the virtual Klippy as its peer over a
// real unix socket: what every end-to-end test starts from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, startServer, type RunningServer } from '../../src/server.js';
import { VirtualKlippy } from '../../src/sim/virtualKlippy.js';
import { logSink } from '../../src/logger.js';
import type { TokenClock } from '../../src/components/authorization/oneshotTokens.actor.js';
import { RpcClient } from './rpcClient.js';
import { RealKlippy } from './realKlippy.js';

// Server logs are noise in test output; MOONSTATE_TEST_LOG=1 shows them.
logSink.console = process.env.MOONSTATE_TEST_LOG === '1';
if (process.env.MOONSTATE_TEST_LOG === '1') logSink.level = 'debug';

export interface StackOptions {
  /** Physics speed-up of the virtual Klippy (default 20). */
  timeScale?: number;
  /** Real ms between the virtual Klippy's status ticks (default Klippy's 250). */
  statusTickMs?: number;
  /** Real ms the virtual Klippy is away on RESTART (default Klippy's 1000). */
  restartDelayMs?: number;
  /** Extra config text appended after the [server] section the stack writes. */
  extraConfig?: string;
  /** Start without a virtual Klippy listening (tests start/stop it themselves). */
  klippyDown?: boolean;
  startupDelayMs?: number;
  /**
   * Trust 127.0.0.0/8 and ::1 (default true), so tests that are not about authorization need
   * no credentials. Auth tests turn it off and send keys and tokens like a remote client.
   */
  trustLoopback?: boolean;
  /** Extra lines for the [authorization] section the stack writes. */
  authorizationConfig?: string;
  /** The clock oneshot tokens expire on. */
  tokenClock?: TokenClock;
  /**
   * `[server] api_dialect` for plain HTTP: `spec` by default, since most end-to-end tests check
   * the 2020 contract; null writes no option, so the server's own default (today's) applies.
   */
  apiDialect?: 'spec' | 'current' | null;
  /** How long the server waits for Klippy's reply to a request that runs no gcode. */
  klippyRequestTimeoutMs?: number;
  /** How long a request body may send nothing before the server ends it. */
  bodyIdleTimeoutMs?: number;
}

/** What a stack's Klippy can do: start and stop (the virtual Klippy also takes faults). */
export interface KlippyPeer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Stack<K extends KlippyPeer = VirtualKlippy> {
  dir: string;
  socketPath: string;
  gcodesPath: string;
  server: RunningServer;
  sim: K;
  url: string;
  wsUrl: string;
  /** fetch() against the server, JSON body decoded. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  http(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  ws(headers?: Record<string, string>): Promise<RpcClient>;
  /** Resolves once the server reports Klippy ready. */
  waitReady(timeoutMs?: number): Promise<void>;
  waitState(state: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-test-'));
  const socketPath = join(dir, 'klippy.sock');
  const gcodesPath = join(dir, 'data', 'gcodes');
  const sim = new VirtualKlippy({
    socketPath,
    timeScale: opts.timeScale ?? 20,
    gcodesPath,
    logFile: join(dir, 'data', 'logs', 'klippy.log'),
    configFile: join(dir, 'data', 'config', 'printer.cfg'),
    startupDelayMs: opts.startupDelayMs ?? 100,
    ...(opts.statusTickMs !== undefined ? { statusTickMs: opts.statusTickMs } : {}),
    ...(opts.restartDelayMs !== undefined ? { restartDelayMs: opts.restartDelayMs } : {}),
  });
  return startStackWith(dir, sim, socketPath, gcodesPath, opts);
}

/**
 * The same stack with today's real Klippy as the peer (see realKlippy.ts; callers skip with
 * `realKlippySkip`). Its printer.cfg is the shared runner's; the gcodes root comes from it.
 */
export async function startRealKlippyStack(opts: StackOptions = {}): Promise<Stack<RealKlippy>> {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-test-'));
  const socketPath = join(dir, 'klippy.sock');
  const gcodesPath = join(dir, 'data', 'gcodes');
  return startStackWith(dir, new RealKlippy(socketPath, gcodesPath), socketPath, gcodesPath, opts);
}

async function startStackWith<K extends KlippyPeer>(dir: string, sim: K, socketPath: string, gcodesPath: string, opts: StackOptions): Promise<Stack<K>> {
  try {
    if (!opts.klippyDown) await sim.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const trust = opts.trustLoopback === false ? '' : 'trusted_clients: 127.0.0.0/8, ::1\n';
  const dialect = opts.apiDialect === null ? '' : `api_dialect: ${opts.apiDialect ?? 'spec'}\n`;
  const text =
    `[server]\nhost: 127.0.0.1\nport: 0\nklippy_uds_address: ${socketPath}\n${dialect}${opts.extraConfig ?? ''}\n` +
    `[authorization]\n${trust}${opts.authorizationConfig ?? ''}\n`;
  const { config } = loadServerConfig({ text, dataPath: join(dir, 'data') });
  let server: RunningServer;
  try {
    server = await startServer({
      config,
      logToFile: false,
      ...(opts.tokenClock ? { tokenClock: opts.tokenClock } : {}),
      ...(opts.klippyRequestTimeoutMs !== undefined ? { klippyRequestTimeoutMs: opts.klippyRequestTimeoutMs } : {}),
      ...(opts.bodyIdleTimeoutMs !== undefined ? { bodyIdleTimeoutMs: opts.bodyIdleTimeoutMs } : {}),
    });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  const clients: RpcClient[] = [];
  const waitState = async (state: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (server.kernel.klippy.state !== state) {
      if (Date.now() > deadline) throw new Error(`Klippy not ${state} within ${timeoutMs} ms (is ${server.kernel.klippy.state})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    dir,
    socketPath,
    gcodesPath,
    server,
    sim,
    url: server.url,
    wsUrl: server.url.replace(/^http/, 'ws') + '/websocket',
    async http(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
      const res = await fetch(server.url + path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON: tests look at the text */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async ws(headers) {
      const c = await RpcClient.connect(server.url.replace(/^http/, 'ws') + '/websocket', headers);
      clients.push(c);
      return c;
    },
    waitReady: (t) => waitState('ready', t),
    waitState,
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
