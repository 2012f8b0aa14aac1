// The real `moonstate` command in a child process. `CliProcess`: on a free port with a config
// file of the test's choosing, for what the process as a whole survives (its process-level
// handlers are installed by the command, not by startServer). `startCli`: run as a user runs it,
// on a real HOME, stopped with SIGTERM as systemd stops it, for config discovery, data path and
// web_path.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../src/cli/moonstate.ts');

export async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}

export class CliProcess {
  /** Set when the process exited: a crash, unless the test stopped it. */
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** What the process wrote to stderr (its log). */
  stderr = '';

  private constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly port: number,
  ) {
    child.on('exit', (code, signal) => (this.exited = { code, signal }));
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/websocket`;
  }

  /** Starts `moonstate -c FILE` with `[server]` host/port set, `configText` after them. */
  static async start(configText = ''): Promise<CliProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'moonstate-cli-'));
    const port = await freePort();
    const conf = join(dir, 'moonstate.conf');
    writeFileSync(
      conf,
      `[server]\nhost: 127.0.0.1\nport: ${port}\n${configText}\n[authorization]\ntrusted_clients: 127.0.0.0/8\n[virtual_klippy]\nstartup_delay: 0\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '-c', conf, '-d', join(dir, 'data')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const p = new CliProcess(child, dir, port);
    await p.until('Klippy ready', async () => {
      try {
        const res = await fetch(`${p.url}/printer/info`);
        return res.ok && ((await res.json()) as { result: { state: string } }).result.state === 'ready' ? true : undefined;
      } catch {
        return undefined;
      }
    });
    return p;
  }

  async until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.exited) throw new Error(`moonstate exited (${JSON.stringify(this.exited)}) while waiting for ${what}:\n${this.stderr.slice(-2000)}`);
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `probe` until it yields a value (errors count as not yet). */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `moonstate ARGS` with HOME=home; stopped with SIGTERM after the test. Its stderr is shown if it fails. */
export function startCli(args: string[], home: string, t: { after(fn: () => Promise<void>): void }): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: home } });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.on('exit', (code) => {
    if (code !== null && code !== 0) console.error(err);
  });
  // SIGTERM: the server stops its virtual Klippy too (SIGKILL would orphan it).
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  });
  return child;
}
