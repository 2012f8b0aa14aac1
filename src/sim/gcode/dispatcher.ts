// Klippy's GCodeDispatch: the command registry, help texts, the per-line dispatch loop and the
// response channel. Until the printer is ready (and again after a shutdown) only the few
// "when not ready" commands work; anything else fails with the state message, as in Klippy.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { Printer } from '../printer.js';
import { PrinterGone } from '../scheduler.js';
import { CommandError } from './commandError.js';
import { GCodeCommand, type ResponseSink } from './gcodeCommand.js';
import { isTraditionalGcode, parseGcodeLine, rawCommandParameters } from './lineParser.js';
import { GcodeMutex } from './mutex.js';
import { ShlexError, shlexSplit } from './shlexSplit.js';

export type GcodeHandler = (gcmd: GCodeCommand) => void | Promise<void>;

export interface RegisterOptions {
  /** Also available while not ready (startup, error, shutdown). */
  whenNotReady?: boolean;
  desc?: string;
}

export class GCodeDispatch implements ResponseSink {
  readonly mutex = new GcodeMutex();
  isPrinterReady = false;
  private readonly readyHandlers = new Map<string, GcodeHandler>();
  private readonly baseHandlers = new Map<string, GcodeHandler>();
  private handlers = this.baseHandlers;
  private readonly help = new Map<string, string>();
  private readonly muxCommands = new Map<string, { key: string; values: Map<string | null, GcodeHandler> }>();
  private statusCommands: Record<string, JsonObject> = {};
  private readonly outputs: Array<(msg: string) => void> = [];

  constructor(private readonly printer: Printer) {
    const reg = (cmd: string, h: GcodeHandler, desc?: string): void =>
      this.registerCommand(cmd, h, { whenNotReady: true, desc });
    reg('M110', () => undefined);
    reg('M112', () => this.printer.invokeShutdown('Shutdown due to M112 command'));
    reg('M115', (g) =>
      g.respondInfo(`FIRMWARE_NAME:Klipper FIRMWARE_VERSION:${this.printer.startArgs.softwareVersion}`),
    );
    reg('RESTART', () => this.requestRestart('restart'), 'Reload config file and restart host software');
    reg(
      'FIRMWARE_RESTART',
      () => this.requestRestart('firmware_restart'),
      'Restart firmware, host, and reload config',
    );
    reg('ECHO', (g) => this.respondInfo(g.commandline, false));
    reg('STATUS', (g) => this.cmdStatus(g), 'Report the printer status');
    reg('HELP', (g) => this.cmdHelp(g), 'Report the list of available extended G-Code commands');
    printer.events.on('ready', () => {
      this.isPrinterReady = true;
      this.handlers = this.readyHandlers;
      this.buildStatusCommands();
      this.respondState('Ready');
    });
    printer.events.on('shutdown', () => this.leaveReady('Shutdown'));
    printer.events.on('disconnect', () => this.respondState('Disconnect'));
  }

  /** Leaves the ready command set (shutdown, or a forced error while ready). */
  leaveReady(state?: string): void {
    if (!this.isPrinterReady) return;
    this.isPrinterReady = false;
    this.handlers = this.baseHandlers;
    this.buildStatusCommands();
    if (state) this.respondState(state);
  }

  registerCommand(cmd: string, handler: GcodeHandler, opts: RegisterOptions = {}): void {
    if (this.readyHandlers.has(cmd)) throw new Error(`gcode command ${cmd} already registered`);
    let h = handler;
    if (!isTraditionalGcode(cmd)) {
      // Extended commands take KEY=VALUE parameters, re-parsed from the raw line.
      h = (gcmd) => handler(this.withExtendedParams(gcmd));
    }
    this.readyHandlers.set(cmd, h);
    if (opts.whenNotReady) this.baseHandlers.set(cmd, h);
    if (opts.desc !== undefined) this.help.set(cmd, opts.desc);
    this.buildStatusCommands();
  }

  /**
   * gcode_macro's rename_existing: the command keeps working under `newName` (with Klippy's
   * "Renamed builtin" help), freeing its name for the macro.
   */
  renameCommand(cmd: string, newName: string): void {
    const handler = this.readyHandlers.get(cmd);
    if (!handler) throw new CommandError(`Existing command '${cmd}' not found in gcode_macro rename`);
    if (this.readyHandlers.has(newName)) throw new CommandError(`gcode command ${newName} already registered`);
    this.readyHandlers.delete(cmd);
    this.readyHandlers.set(newName, handler);
    if (this.baseHandlers.get(cmd) === handler) {
      this.baseHandlers.delete(cmd);
      this.baseHandlers.set(newName, handler);
    }
    this.help.delete(cmd);
    this.help.set(newName, `Renamed builtin of '${cmd}'`);
    this.buildStatusCommands();
  }

  /** Commands like SET_HEATER_TEMPERATURE HEATER=<name>: one command, one handler per key value. */
  registerMuxCommand(cmd: string, key: string, value: string | null, handler: GcodeHandler, desc?: string): void {
    let entry = this.muxCommands.get(cmd);
    if (!entry) {
      const created = { key, values: new Map<string | null, GcodeHandler>() };
      entry = created;
      this.muxCommands.set(cmd, created);
      this.registerCommand(cmd, (gcmd) => this.dispatchMux(created, gcmd), { desc });
    }
    entry.values.set(value, handler);
  }

  private dispatchMux(entry: { key: string; values: Map<string | null, GcodeHandler> }, gcmd: GCodeCommand) {
    const param = entry.values.has(null) ? gcmd.get(entry.key, null) : gcmd.get(entry.key);
    const handler = entry.values.get(param);
    if (!handler) throw gcmd.error(`The value '${param ?? 'None'}' is not valid for ${entry.key}`);
    return handler(gcmd);
  }

  getCommandHelp(): JsonObject {
    return Object.fromEntries(this.help);
  }

  getStatus(): JsonObject {
    return { commands: this.statusCommands };
  }

  private buildStatusCommands(): void {
    const commands: Record<string, JsonObject> = {};
    for (const cmd of this.handlers.keys()) {
      const help = this.help.get(cmd);
      commands[cmd] = help === undefined ? {} : { help };
    }
    this.statusCommands = commands;
  }

  registerOutputHandler(cb: (msg: string) => void): void {
    this.outputs.push(cb);
  }

  // ---- running scripts ----

  /** Runs a script under the gcode mutex (gcode/script, SD-card lines); throws on the first error. */
  async runScript(script: string): Promise<void> {
    const release = await this.mutex.lock();
    try {
      await this.runScriptFromCommand(script);
    } finally {
      release();
    }
  }

  /** Runs a script from inside a command that already holds the mutex (e.g. PAUSE saving state). */
  async runScriptFromCommand(script: string): Promise<void> {
    for (const line of script.split('\n')) {
      const pending = this.runLine(line);
      if (pending) await pending;
    }
  }

  /** One line; returns a promise only when the command had to wait (keeps file printing fast). */
  runLine(line: string): Promise<void> | undefined {
    this.printer.scheduler.check();
    const parsed = parseGcodeLine(line);
    const gcmd = new GCodeCommand(this, parsed.command, parsed.commandline, parsed.params);
    const handler = this.handlers.get(parsed.command) ?? ((g: GCodeCommand) => this.cmdDefault(g));
    let result: void | Promise<void>;
    try {
      result = handler(gcmd);
    } catch (e) {
      throw this.failed(parsed.command, e);
    }
    if (!(result instanceof Promise)) return undefined;
    return result.catch((e: unknown) => {
      throw this.failed(parsed.command, e);
    });
  }

  private failed(cmd: string, e: unknown): unknown {
    if (e instanceof PrinterGone) return e;
    if (e instanceof CommandError) {
      this.respondError(e.message);
      this.printer.events.emit('gcode:command_error');
      return e;
    }
    const msg = `Internal error on command:"${cmd}"`;
    this.printer.log.info(`${msg}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    this.printer.invokeShutdown(msg);
    this.respondError(msg);
    return e;
  }

  private withExtendedParams(gcmd: GCodeCommand): GCodeCommand {
    const raw = rawCommandParameters(gcmd.command, gcmd.commandline);
    let tokens: string[];
    try {
      tokens = shlexSplit(raw);
    } catch (e) {
      if (e instanceof ShlexError) throw gcmd.error(`Malformed command '${gcmd.commandline}'`);
      throw e;
    }
    const params: Record<string, string> = {};
    for (const t of tokens) {
      const eq = t.indexOf('=');
      if (eq < 0) throw gcmd.error(`Malformed command '${gcmd.commandline}'`);
      params[t.slice(0, eq).toUpperCase()] = t.slice(eq + 1);
    }
    for (const k of Object.keys(gcmd.params)) delete gcmd.params[k];
    Object.assign(gcmd.params, params);
    return gcmd;
  }

  // ---- responses ----

  respondRaw(msg: string): void {
    for (const cb of this.outputs) cb(msg);
  }

  respondInfo(msg: string, log = true): void {
    if (log) this.printer.log.info(msg);
    const lines = msg.trim().split('\n').map((l) => l.trim());
    this.respondRaw(`// ${lines.join('\n// ')}`);
  }

  respondError(msg: string): void {
    this.printer.log.info(msg);
    const lines = msg.trim().split('\n');
    if (lines.length > 1) this.respondInfo(lines.join('\n'), false);
    this.respondRaw(`!! ${(lines[0] ?? '').trim()}`);
  }

  private respondState(state: string): void {
    this.respondInfo(`Klipper state: ${state}`, false);
  }

  // ---- built-in commands ----

  private cmdDefault(gcmd: GCodeCommand): void | Promise<void> {
    const cmd = gcmd.command;
    // Temperature polls and SD init are silently accepted even when not ready (the "ok T:0"
    // acknowledgement only exists on the serial pseudo-tty, not on the API socket).
    if (cmd === 'M105') return;
    if (cmd === 'M21') return;
    if (!this.isPrinterReady) throw gcmd.error(this.printer.getStateMessage()[0]);
    if (!cmd) return;
    if (cmd.includes(' ')) {
      // "M117 123" parses as one command; route it to M117/M118/M23 with the text as parameters.
      const realCmd = cmd.split(' ')[0] ?? '';
      if (['M117', 'M118', 'M23'].includes(realCmd)) {
        const handler = this.handlers.get(realCmd);
        if (handler) {
          gcmd.command = realCmd;
          return handler(gcmd);
        }
      }
    } else if ((cmd === 'M140' || cmd === 'M104') && !gcmd.getFloat('S', 0)) {
      return;
    } else if (cmd === 'M107' || (cmd === 'M106' && !gcmd.getFloat('S', 1))) {
      return;
    }
    gcmd.respondInfo(`Unknown command:"${cmd}"`);
  }

  private cmdStatus(gcmd: GCodeCommand): void {
    if (this.isPrinterReady) {
      this.respondState('Ready');
      return;
    }
    const msg = this.printer.getStateMessage()[0].trimEnd();
    throw gcmd.error(`${msg}\nKlipper state: Not ready`);
  }

  private cmdHelp(_gcmd: GCodeCommand): void {
    const out: string[] = [];
    if (!this.isPrinterReady) out.push('Printer is not ready - not all commands available.');
    out.push('Available extended commands:');
    for (const cmd of [...this.handlers.keys()].sort()) {
      const help = this.help.get(cmd);
      if (help !== undefined) out.push(`${cmd.padEnd(10)}: ${help}`);
    }
    this.respondInfo(out.join('\n'), false);
  }

  private async requestRestart(result: 'restart' | 'firmware_restart'): Promise<void> {
    if (this.isPrinterReady) {
      const toolhead = this.printer.toolhead;
      toolhead.getLastMoveTime();
      this.printer.events.emit('gcode:request_restart');
      await toolhead.dwell(0.5);
      await toolhead.waitMoves();
    }
    this.printer.requestExit(result);
  }
}
