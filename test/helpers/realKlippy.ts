// Today's real Klippy (../shared/klipper/run-klippy.sh: Klipper's own host program in batch
// mode, no MCU) as a peer for end-to-end tests, next to the virtual Klippy. It runs as a child
// process and is stopped with a real SIGTERM. Tests that use it skip, saying why, only when the
// runner folder is absent; a runner that is there but cannot start (missing Debian packages,
// see .ci/run) fails them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The shared Klipper runner: MOONSTATE_KLIPPER_DIR, else ../shared/klipper beside the repo. */
export const KLIPPER_DIR = process.env.MOONSTATE_KLIPPER_DIR ?? resolve(import.meta.dirname, '..', '..', '..', 'shared', 'klipper');
const SCRIPT = join(KLIPPER_DIR, 'run-klippy.sh');

/** Why real-Klippy tests cannot run here, or undefined when they can. */
export const realKlippySkip: string | undefined = existsSync(SCRIPT)
  ? undefined
  : `no real Klippy: ${SCRIPT} is absent (set MOONSTATE_KLIPPER_DIR to the shared klipper folder)`;

/** First Klippy start builds its C helper; later starts take about a second. */
const START_TIMEOUT_MS = 60_000;

export class RealKlippy {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly socketPath: string,
    readonly gcodesPath: string,
  ) {}

  /** Starts Klippy; resolves once its API socket exists (Klippy may still be starting up). */
  async start(): Promise<void> {
    if (this.child) return;
    // A socket left by an earlier run would look like this one's.
    rmSync(this.socketPath, { force: true });
    const child = spawn('bash', [SCRIPT, this.socketPath, this.gcodesPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!existsSync(this.socketPath)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = undefined;
        throw new Error(`run-klippy.sh exited (${child.exitCode ?? child.signalCode}): ${this.output.trim()}`);
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`Klippy made no socket within ${START_TIMEOUT_MS} ms: ${this.output.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGTERM, as a service manager stops Klippy; SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
