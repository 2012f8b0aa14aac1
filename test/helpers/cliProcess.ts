// The moonstate command run as a user runs it: a real child process on a real HOME, stopped
// with SIGTERM as systemd stops it. For tests that need the whole program (config discovery,
// data path, web_path), not a stack assembled in-process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../src/cli/moonstate.ts');

/** A TCP port free on 127.0.0.1 a moment ago (the config file must name one). */
export async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
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
