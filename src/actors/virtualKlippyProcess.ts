// The embedded printer: with no config file, or a [virtual_klippy] section, the server runs the virtual
// Klippy (src/sim) as a child process on a private socket and connects to it exactly as to a
// real Klippy. A child process rather than in-process: a simulated print's work cannot stall
// the API's event loop, and killing it behaves like a real Klippy going away.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLogger } from '../logger.js';

const log = getLogger('virtual-klippy');

export interface VirtualKlippyProcessOptions {
  socketPath: string;
  gcodesPath: string;
  logFile: string;
  configFile: string;
  timeScale: number;
  startupDelaySeconds: number;
  /** The folder holding the socket, ours alone: the child removes it if we die first. */
  privateDir?: string;
}

/** The sim's entry point: compiled JS next to us, or the TypeScript source when run with tsx. */
function simEntry(): { file: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('../cli/moonstateSim.js', import.meta.url));
  if (existsSync(js)) return { file: js, execArgv: [] };
  const ts = fileURLToPath(new URL('../cli/moonstateSim.ts', import.meta.url));
  return { file: ts, execArgv: ['--import', 'tsx'] };
}

const PRIVATE_PREFIX = 'moonstate-';
/** In each private folder: the pid of the server that made it. */
const OWNER_FILE = 'owner.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A new private folder for the virtual Klippy's socket. Folders left by servers that died with
 * their virtual Klippy (both killed at once, where neither could clean up) are removed first:
 * only those carrying an owner file whose process is gone, so a folder another server is
 * setting up right now (no owner file yet) or still uses is never touched.
 */
export function makePrivateDir(): string {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    if (!name.startsWith(PRIVATE_PREFIX)) continue;
    const dir = join(base, name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isSafeInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
      log.info(`removed ${dir}, left by a server (pid ${owner}) that is gone`);
    } catch {
      /* someone else's, or already gone */
    }
  }
  const dir = mkdtempSync(join(base, PRIVATE_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  return dir;
}

export class VirtualKlippyProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: VirtualKlippyProcessOptions) {}

  start(): void {
    const { file, execArgv } = simEntry();
    const o = this.opts;
    const args = [
      ...execArgv,
      file,
      '--socket', o.socketPath,
      '--gcodes', o.gcodesPath,
      '--log-file', o.logFile,
      '--config-file', o.configFile,
      '--time-scale', String(o.timeScale),
      '--startup-delay', String(o.startupDelaySeconds),
      '--exit-with-stdin',
      ...(o.privateDir !== undefined ? ['--private-dir', o.privateDir] : []),
    ];
    // The child's stdin is a pipe we never write to: the kernel closes our end when this process
    // dies however it dies (kill -9, a crash), and the child, seeing its stdin end, stops and
    // removes the private folder instead of living on as an orphan.
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin?.on('error', () => undefined);
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => log.warn(d.toString().trimEnd()));
    child.on('exit', (code, signal) => {
      this.child = undefined;
      if (this.stopping) return;
      // Like systemd restarting a crashed Klippy: the server reconnects on its own.
      log.warn(`virtual Klippy exited (${signal ?? code}); starting it again in 1 s`);
      this.restartTimer = setTimeout(() => this.start(), 1000);
    });
    log.info(`virtual Klippy started (pid ${child.pid}) on ${o.socketPath}`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
