// The parent's end of serverProcessMain.ts: forks the server into its own process and asks it,
// over IPC, to settle, report its event-loop delay, CPU time and memory, or stop. Benchmarks
// use it so the server's costs are measured apart from the client's; fault tests, so that a
// crash is seen as an exit and the heap can be read after a real garbage collection.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export interface LoopStats {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
}

export interface ServerStats {
  cpuSeconds: number;
  memory: NodeJS.MemoryUsage;
  /** heapUsed after two full collections; only when started with exposeGc. */
  heapAfterGc?: number;
  klippyState: string;
}

export interface ServerProcessOptions {
  /** Config text after the `[server]` header the child writes (host and port 0 are set). */
  config?: string;
  /** Start node with --expose-gc so `stats()` reports the heap after a full collection. */
  exposeGc?: boolean;
  /** Shorter Klippy request timeout (MOONSTATE_KLIPPY_TIMEOUT_MS in the child). */
  klippyTimeoutMs?: number;
  /** Uploads acknowledged without fsync (bench:files measures what fsync costs). */
  noFsync?: boolean;
}

const MAIN = join(import.meta.dirname, 'serverProcessMain.ts');

export class ServerProcess {
  /** Set if the child exited without being asked to: a crash. */
  exitedUnasked: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private stopping = false;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.exitedUnasked = { code, signal };
    });
  }

  /** Forks the server on `dataPath`; resolves once it listens (Klippy may not be ready yet). */
  static async start(dataPath: string, opts: ServerProcessOptions = {}): Promise<ServerProcess> {
    const args = opts.config === undefined ? [dataPath] : [dataPath, opts.config];
    const child = forkMain(args, opts);
    // A server that dies while starting (a crash on its own data) is an error, not a hang.
    const exited = once(child, 'exit').then(([code, signal]) => {
      throw new Error(`server process exited while starting (${String(signal ?? code)})`);
    });
    const [msg] = (await Promise.race([once(child, 'message'), exited])) as [{ url: string }];
    exited.catch(() => undefined);
    return new ServerProcess(child, msg.url);
  }

  /** A bare HTTP server that reads and drops request bodies: the transport's ceiling. */
  static async discard(): Promise<ServerProcess> {
    const child = forkMain(['--discard'], {});
    const [msg] = (await once(child, 'message')) as [{ url: string }];
    return new ServerProcess(child, msg.url);
  }

  get wsUrl(): string {
    return this.url.replace(/^http/, 'ws') + '/websocket';
  }

  ask<T>(cmd: string): Promise<T> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.reject(new Error(`server process has exited`));
    const reply = once(this.child, 'message') as Promise<[T]>;
    this.child.send({ cmd });
    return reply.then(([m]) => m);
  }

  settle = () => this.ask('settle');
  /** Waits for Klippy ready; resolves with when it was seen (process.hrtime in ms, one clock machine-wide). */
  ready = () => this.ask<{ readyAtMs: number }>('ready');
  resetLoop = () => this.ask('reset');
  loop = () => this.ask<LoopStats>('loop');
  stats = () => this.ask<ServerStats>('stats');

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ cmd: 'stop' });
    await exited;
  }
}

function forkMain(args: string[], opts: ServerProcessOptions): ChildProcess {
  const execArgv = ['--import', 'tsx', ...(opts.exposeGc ? ['--expose-gc'] : [])];
  const env = {
    ...process.env,
    ...(opts.klippyTimeoutMs !== undefined ? { MOONSTATE_KLIPPY_TIMEOUT_MS: String(opts.klippyTimeoutMs) } : {}),
    ...(opts.noFsync ? { MOONSTATE_BENCH_NO_FSYNC: '1' } : {}),
  };
  return fork(MAIN, args, { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
