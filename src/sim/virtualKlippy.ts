// The virtual Klippy: a separate program that speaks Klippy's real unix-socket API, so the
// server connects to it exactly as to a real Klippy. This class is Klippy's main loop: it runs
// one Printer at a time, and on RESTART drops every connection and the socket, waits, and
// starts a fresh run that sits in "startup" for a moment before becoming "ready".

import { cpus, homedir, hostname } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KlippyState } from '../shared/klippyProtocol.js';
import { KlippyLog } from './klippyLog.js';
import type { ThermalCarry } from './objects/heaters.js';
import { Printer, type ExitResult, type StartArgs } from './printer.js';
import { GENERATED_HEADER, PrinterConfig, type RawConfig } from './printerConfig.js';
import { ServerSocket } from './serverSocket.js';
import { SimClock } from './simClock.js';

export const SOFTWARE_VERSION = 'v0.13.0-virtual';

export interface VirtualKlippyOptions {
  /** Unix socket to listen on (a stale file is deleted first, like Klippy). */
  socketPath: string;
  /** Simulated physics runs this many times faster than real time (default 1). */
  timeScale?: number;
  /** Reported as configfile.config.virtual_sdcard.path; files are printed from here. */
  gcodesPath?: string;
  /** Klippy-style log written here; reported as info.log_file. */
  logFile?: string;
  /** Where the generated printer.cfg is written; reported as info.config_file. */
  configFile?: string;
  /** A whole printer.cfg (section → option → raw value) instead of the built-in printer. */
  printerConfig?: RawConfig;
  /** Real ms spent in state "startup" after (re)start before "ready" (default 500). */
  startupDelayMs?: number;
  /** Real ms between dropping the socket on RESTART and listening again (default 1000, as Klippy). */
  restartDelayMs?: number;
  /** Real ms between status ticks (default Klippy's 250); tests use a slow tick. */
  statusTickMs?: number;
}

export interface VirtualKlippyFaults {
  /** Delay every reply by this many ms (0 = none). */
  replyDelayMs: number;
  /** If set, only replies to these methods are delayed. */
  delayedMethods?: Set<string> | undefined;
  /** Requests received so far, per method, over every run (tests read it; never reset here). */
  readonly requestCounts: Map<string, number>;
  /** Write raw bytes to every connected client (malformed-frame tests). */
  sendRaw(bytes: Buffer): void;
}

export class VirtualKlippy {
  readonly faults: VirtualKlippyFaults;
  private readonly clock: SimClock;
  private readonly log: KlippyLog;
  private readonly startArgs: StartArgs;
  private readonly thermal: ThermalCarry = new Map();
  private printer: Printer | undefined;
  private server: ServerSocket | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private started = false;
  private stopped = false;

  constructor(private readonly opts: VirtualKlippyOptions) {
    this.clock = new SimClock(opts.timeScale ?? 1);
    this.log = new KlippyLog(opts.logFile);
    const cpu = cpus();
    this.startArgs = {
      hostname: hostname(),
      klipperPath: resolve(fileURLToPath(new URL('../..', import.meta.url))),
      pythonPath: process.execPath,
      logFile: opts.logFile ? resolve(opts.logFile) : '',
      configFile: opts.configFile ? resolve(opts.configFile) : '',
      softwareVersion: SOFTWARE_VERSION,
      cpuInfo: `${cpu.length} core ${cpu[0]?.model ?? 'unknown'}`,
      gcodesPath: opts.gcodesPath ? resolve(opts.gcodesPath) : join(homedir(), 'printer_data', 'gcodes'),
    };
    const server = (): ServerSocket | undefined => this.server;
    this.faults = {
      replyDelayMs: 0,
      delayedMethods: undefined,
      requestCounts: new Map(),
      sendRaw(bytes: Buffer) {
        server()?.sendRaw(bytes);
      },
    };
  }

  get state(): KlippyState {
    return this.printer?.getStateMessage()[1] ?? 'startup';
  }

  /** Resolves once the socket is listening (state "startup", then "ready" after startupDelayMs). */
  async start(): Promise<void> {
    if (this.started) throw new Error('VirtualKlippy already started');
    this.started = true;
    // A stopped (killed) Klippy may be started again, as systemd would.
    this.stopped = false;
    const a = this.startArgs;
    this.log.info('Starting Klippy...');
    this.log.info(`Args: ${JSON.stringify(process.argv)}\nGit version: '${a.softwareVersion}'\nCPU: ${a.cpuInfo}`);
    // A user who tries the virtual printer on their printer_data keeps their own printer.cfg:
    // only a missing file, or one this printer wrote before, is (re)written.
    if (a.configFile && (!existsSync(a.configFile) || readFileSync(a.configFile, 'utf8').startsWith(GENERATED_HEADER))) {
      mkdirSync(dirname(a.configFile), { recursive: true });
      writeFileSync(a.configFile, new PrinterConfig({ gcodesPath: a.gcodesPath, sections: this.opts.printerConfig }).text());
    }
    await this.run();
  }

  private async run(): Promise<void> {
    const printer: Printer = new Printer({
      configSections: this.opts.printerConfig,
      clock: this.clock,
      log: this.log,
      startArgs: this.startArgs,
      thermal: this.thermal,
      onExit: (result) => this.handleExit(printer, result),
      ...(this.opts.statusTickMs !== undefined ? { statusTickMs: this.opts.statusTickMs } : {}),
    });
    const server = new ServerSocket(this.opts.socketPath, printer, this.log, this.faults);
    this.printer = printer;
    this.server = server;
    await server.listen();
    this.log.info(`Start printer at ${new Date().toString()} (${(Date.now() / 1000).toFixed(1)} ${this.clock.now().toFixed(1)})`);
    this.later(this.opts.startupDelayMs ?? 500, () => {
      if (this.printer === printer) printer.connect();
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private handleExit(printer: Printer, result: ExitResult): void {
    if (printer !== this.printer || this.stopped) return;
    this.log.info(result === 'firmware_restart' ? 'Restarting firmware and printer' : 'Restarting printer');
    printer.disconnect();
    this.server?.close(true);
    printer.dispose();
    this.printer = undefined;
    this.server = undefined;
    this.later(this.opts.restartDelayMs ?? 1000, () => {
      if (this.stopped) return;
      this.run().catch((e: unknown) => this.log.info(`Unable to restart: ${String(e)}`));
    });
  }

  /** Enter state "error" with this message (config-error style), until RESTART. */
  forceError(message: string): void {
    this.printer?.forceError(message);
  }

  /** Closes every connection and the listening socket at once (a "kill"), removes the socket file. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server?.close(false);
    this.printer?.dispose();
    this.server = undefined;
    this.printer = undefined;
    rmSync(this.opts.socketPath, { force: true });
    return Promise.resolve();
  }
}
