// One run of the virtual Klippy host (klippy.py Printer): the printer objects, the gcode
// dispatcher, the webhooks registry and the state (startup → ready, or error/shutdown).
// RESTART ends the run; VirtualKlippy then builds a fresh Printer, like Klippy's main loop.

import type { KlippyState } from '../shared/klippyProtocol.js';
import { GCodeDispatch } from './gcode/dispatcher.js';
import { GcodeEndpoints } from './gcode/gcodeEndpoints.js';
import type { KlippyLog } from './klippyLog.js';
import { Configfile } from './objects/configfile.js';
import { DisplayStatus } from './objects/displayStatus.js';
import { Extruder } from './objects/extruder.js';
import { Fan } from './objects/fan.js';
import { GcodeArcs } from './objects/gcodeArcs.js';
import { GCodeMove } from './objects/gcodeMove.js';
import { GcodeMacros } from './objects/gcodeMacros.js';
import { HeaterBed } from './objects/heaterBed.js';
import { HeaterFan } from './objects/heaterFan.js';
import { PrinterHeaters, type ThermalCarry } from './objects/heaters.js';
import { Homing } from './objects/homing.js';
import { IdleTimeout } from './objects/idleTimeout.js';
import { Mcu } from './objects/mcu.js';
import { MotionReport } from './objects/motionReport.js';
import { PauseResume } from './objects/pauseResume.js';
import { PrintStats } from './objects/printStats.js';
import { QueryEndstops } from './objects/queryEndstops.js';
import { Respond } from './objects/respond.js';
import { StockCommands } from './objects/stockCommands.js';
import { StepperEnable } from './objects/stepperEnable.js';
import { SystemStats } from './objects/systemStats.js';
import { Toolhead } from './objects/toolhead.js';
import { VirtualSdcard } from './objects/virtualSdcard.js';
import { PrinterConfig, type RawConfig } from './printerConfig.js';
import { PrinterEvents } from './printerEvents.js';
import type { StatusSource } from './printerObject.js';
import { Scheduler } from './scheduler.js';
import type { SimClock } from './simClock.js';
import { MESSAGE_READY, MESSAGE_STARTUP, configErrorMessage, shutdownMessage } from './stateMessages.js';
import { StatusSubscriptions } from './statusSubscriptions.js';
import { Webhooks } from './webhooks.js';

/** Klippy's start_args: facts about the host process reported by `info`. */
export interface StartArgs {
  hostname: string;
  klipperPath: string;
  pythonPath: string;
  logFile: string;
  configFile: string;
  softwareVersion: string;
  cpuInfo: string;
  gcodesPath: string;
}

export type ExitResult = 'restart' | 'firmware_restart';

export interface PrinterRunOptions {
  /** printer.cfg to load instead of the built-in one. */
  configSections?: RawConfig | undefined;
  clock: SimClock;
  log: KlippyLog;
  startArgs: StartArgs;
  thermal: ThermalCarry;
  onExit: (result: ExitResult) => void;
  /** Real ms between status ticks (default 250, Klippy's). */
  statusTickMs?: number;
}

export class Printer {
  readonly clock: SimClock;
  readonly log: KlippyLog;
  readonly startArgs: StartArgs;
  readonly thermal: ThermalCarry;
  readonly scheduler: Scheduler;
  readonly events = new PrinterEvents();
  readonly config: PrinterConfig;
  /** Objects with a status, in objects/list order. */
  readonly statusObjects = new Map<string, StatusSource>();
  stateMessage = MESSAGE_STARTUP;
  inShutdown = false;
  private exitRequested = false;
  private readonly onExit: (result: ExitResult) => void;

  readonly gcode: GCodeDispatch;
  readonly webhooks: Webhooks;
  readonly subscriptions: StatusSubscriptions;
  readonly stepperEnable: StepperEnable;
  readonly heaters: PrinterHeaters;
  readonly heaterBed: HeaterBed;
  readonly gcodeMove: GCodeMove;
  readonly printStats: PrintStats;
  readonly virtualSdcard: VirtualSdcard;
  readonly pauseResume: PauseResume;
  readonly idleTimeout: IdleTimeout;
  readonly toolhead: Toolhead;
  readonly extruder: Extruder;

  constructor(opts: PrinterRunOptions) {
    this.clock = opts.clock;
    this.log = opts.log;
    this.startArgs = opts.startArgs;
    this.thermal = opts.thermal;
    this.onExit = opts.onExit;
    this.scheduler = new Scheduler(this.clock);
    this.config = new PrinterConfig({ gcodesPath: this.startArgs.gcodesPath, sections: opts.configSections });

    // Creation order is Klippy's: it decides event handler order and the objects/list order.
    this.gcode = new GCodeDispatch(this);
    this.webhooks = new Webhooks(this);
    new GcodeEndpoints(this);
    this.subscriptions = new StatusSubscriptions(this, opts.statusTickMs);
    const configfile = new Configfile(this.config);
    const stock = new StockCommands(this);
    const mcu = new Mcu(this.startArgs.softwareVersion);
    this.stepperEnable = new StepperEnable(this);
    this.heaters = new PrinterHeaters(this);
    this.heaterBed = new HeaterBed(this);
    const fan = new Fan(this);
    this.gcodeMove = new GCodeMove(this);
    this.printStats = new PrintStats(this);
    this.virtualSdcard = new VirtualSdcard(this);
    this.pauseResume = new PauseResume(this);
    const displayStatus = new DisplayStatus(this);
    new Respond(this);
    new GcodeArcs(this);
    this.idleTimeout = new IdleTimeout(this);
    const systemStats = new SystemStats();
    stock.registerForceMove();
    const queryEndstops = new QueryEndstops(this);
    const motionReport = new MotionReport(this);
    this.toolhead = new Toolhead(this);
    this.extruder = new Extruder(this);
    new Homing(this);
    stock.registerCalibration();
    const macros = new GcodeMacros(this);

    const objects: Array<[string, StatusSource]> = [
      ['gcode', this.gcode],
      ['webhooks', this.webhooks],
      ['configfile', configfile],
      ['mcu', mcu],
      ['stepper_enable', this.stepperEnable],
      ['heaters', this.heaters],
      ['heater_bed', this.heaterBed],
      ['fan', fan],
      ...this.config
        .sectionNames()
        .filter((n) => n.startsWith('heater_fan '))
        .map((n): [string, StatusSource] => [n, new HeaterFan(this, n)]),
      ['gcode_move', this.gcodeMove],
      ['print_stats', this.printStats],
      ['virtual_sdcard', this.virtualSdcard],
      ['pause_resume', this.pauseResume],
      ['display_status', displayStatus],
      ['idle_timeout', this.idleTimeout],
      ['system_stats', systemStats],
      ['query_endstops', queryEndstops],
      ['motion_report', motionReport],
      ['toolhead', this.toolhead],
      ['extruder', this.extruder],
      ['manual_probe', stock.manualProbe],
      ...macros.objects,
    ];
    for (const [name, obj] of objects) this.statusObjects.set(name, obj);
  }

  getStateMessage(): [string, KlippyState] {
    if (this.stateMessage === MESSAGE_READY) return [this.stateMessage, 'ready'];
    if (this.stateMessage === MESSAGE_STARTUP) return [this.stateMessage, 'startup'];
    return [this.stateMessage, this.inShutdown ? 'shutdown' : 'error'];
  }

  /** Only the first problem sticks: a later one does not overwrite an error or shutdown message. */
  private setState(msg: string): void {
    if (this.stateMessage === MESSAGE_READY || this.stateMessage === MESSAGE_STARTUP) this.stateMessage = msg;
  }

  /** The end of "startup": Klippy has read its config and talked to the MCU. */
  connect(): void {
    this.setState(MESSAGE_READY);
    if (this.stateMessage !== MESSAGE_READY) return;
    this.log.info('Printer is ready');
    this.events.emit('ready');
  }

  invokeShutdown(msg: string): void {
    if (this.inShutdown) return;
    this.log.info(`Transition to shutdown state: ${msg}`);
    this.inShutdown = true;
    this.setState(shutdownMessage(msg));
    this.events.emit('shutdown');
  }

  /** A config/MCU style error: not ready, until RESTART. */
  forceError(message: string): void {
    this.log.info(`Config error: ${message}`);
    this.setState(configErrorMessage(message));
    this.gcode.leaveReady();
  }

  requestExit(result: ExitResult): void {
    if (this.exitRequested) return;
    this.exitRequested = true;
    // Klippy finishes the current request (its reply goes out) before the reactor stops.
    setImmediate(() => this.onExit(result));
  }

  /** Klippy's "klippy:disconnect": the last words before the socket closes. */
  disconnect(): void {
    this.events.emit('disconnect');
  }

  dispose(): void {
    const now = this.clock.now();
    for (const h of this.heaters.all()) this.thermal.set(h.name, h.carry(now));
    this.subscriptions.stop();
    this.scheduler.dispose();
    this.events.emit('dispose');
  }
}
