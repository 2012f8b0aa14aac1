// A throwaway printer to drive: the virtual Klippy in this process on a socket in a temp dir,
// and the real server on a free loopback port with inspection on. The scenario runner and the
// inspector screenshot start from this; close() removes every trace.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, startServer, type RunningServer } from '../server.js';
import { VirtualKlippy } from '../sim/virtualKlippy.js';
import { Inspection } from '../actors/inspection.actor.js';
import { MACHINES } from '../machines/index.js';

export interface SandboxOptions {
  /** Physics speed-up of the virtual Klippy (default 20). */
  timeScale?: number;
  /** Real seconds the virtual Klippy spends in "startup" (default 0.1). */
  startupDelay?: number;
  /** Record from this inspection hub (subscribed before anything starts). */
  inspection?: Inspection;
}

export interface Sandbox {
  dir: string;
  gcodesPath: string;
  url: string;
  server: RunningServer;
  sim: VirtualKlippy;
  inspection: Inspection;
  /** Whether the virtual Klippy runs (it stops only when told to: a kill, not a RESTART). */
  readonly klippyRunning: boolean;
  /** Kills the virtual Klippy, as if its process died; startKlippy() brings it back. */
  stopKlippy(): Promise<void>;
  startKlippy(): Promise<void>;
  /** Resolves once the server reports this Klippy state ("ready", "disconnected", ...). */
  waitKlippy(state: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-sandbox-'));
  const socketPath = join(dir, 'klippy.sock');
  const dataPath = join(dir, 'data');
  const gcodesPath = join(dataPath, 'gcodes');
  const sim = new VirtualKlippy({
    socketPath,
    timeScale: opts.timeScale ?? 20,
    gcodesPath,
    logFile: join(dataPath, 'logs', 'klippy.log'),
    configFile: join(dataPath, 'config', 'printer.cfg'),
    startupDelayMs: (opts.startupDelay ?? 0.1) * 1000,
  });
  const inspection = opts.inspection ?? new Inspection({ enabled: true, machines: MACHINES.map((m) => m.id) });
  let server: RunningServer;
  try {
    await sim.start();
    // A private sandbox on loopback: the runner itself is its only client.
    const text = `[server]\nhost: 127.0.0.1\nport: 0\nklippy_uds_address: ${socketPath}\nenable_inspection: true\n[authorization]\ntrusted_clients: 127.0.0.1\n`;
    server = await startServer({ config: loadServerConfig({ text, dataPath }).config, logToFile: false, inspection });
  } catch (err) {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let klippyRunning = true;
  return {
    dir,
    gcodesPath,
    url: server.url,
    server,
    sim,
    inspection,
    get klippyRunning() {
      return klippyRunning;
    },
    async stopKlippy() {
      klippyRunning = false;
      await sim.stop();
    },
    async startKlippy() {
      if (klippyRunning) return;
      await sim.start();
      klippyRunning = true;
    },
    async waitKlippy(state, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (server.kernel.klippy.state !== state) {
        if (Date.now() > deadline) throw new Error(`Klippy not ${state} within ${timeoutMs} ms (is ${server.kernel.klippy.state})`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      await server.close();
      await sim.stop();
      if (!opts.inspection) inspection.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
