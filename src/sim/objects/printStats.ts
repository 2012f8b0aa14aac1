// print_stats (extras/print_stats.py): the job's state and timing as clients display it.
// print_duration leaves out pauses and the time before the first extrusion (heating, homing);
// total_duration counts everything since the print started.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';

export type PrintState = 'standby' | 'printing' | 'paused' | 'complete' | 'cancelled' | 'error';

export class PrintStats implements StatusSource {
  private filename = '';
  private errorMessage = '';
  state: PrintState = 'standby';
  private prevPauseDuration = 0;
  private lastEpos = 0;
  private filamentUsed = 0;
  private totalDuration = 0;
  private printStartTime: number | null = null;
  private lastPauseTime: number | null = null;
  private initDuration = 0;
  private totalLayer: number | null = null;
  private currentLayer: number | null = null;

  constructor(private readonly printer: Printer) {
    printer.gcode.registerCommand('SET_PRINT_STATS_INFO', (g) => this.cmdSetInfo(g), {
      desc: 'Pass slicer info like layer act and total to klipper',
    });
  }

  private updateFilamentUsage(): void {
    const gm = this.printer.gcodeMove;
    const e = gm.lastPosition[3];
    this.filamentUsed += (e - this.lastEpos) / gm.extrudeFactor;
    this.lastEpos = e;
  }

  /**
   * Brings filament and the pre-extrusion time up to date. Klippy does this only when polled,
   * which at a high time scale could miss a whole print; the sim also does it on each extrusion.
   */
  observe(eventtime: number): void {
    if (this.printStartTime === null || this.lastPauseTime !== null) return;
    this.updateFilamentUsage();
    this.totalDuration = eventtime - this.printStartTime;
    if (this.filamentUsed < 0.0000001) this.initDuration = this.totalDuration - this.prevPauseDuration;
  }

  setCurrentFile(filename: string): void {
    this.reset();
    this.filename = filename;
  }

  noteStart(): void {
    const now = this.printer.clock.now();
    if (this.printStartTime === null) {
      this.printStartTime = now;
    } else if (this.lastPauseTime !== null) {
      this.prevPauseDuration += now - this.lastPauseTime;
      this.lastPauseTime = null;
    }
    this.lastEpos = this.printer.gcodeMove.lastPosition[3];
    this.state = 'printing';
    this.errorMessage = '';
  }

  notePause(): void {
    if (this.lastPauseTime === null) {
      this.lastPauseTime = this.printer.clock.now();
      this.updateFilamentUsage();
    }
    if (this.state !== 'error') this.state = 'paused';
  }

  noteComplete(): void {
    this.noteFinish('complete');
  }

  noteError(message: string): void {
    this.noteFinish('error', message);
  }

  noteCancel(): void {
    this.noteFinish('cancelled');
  }

  private noteFinish(state: PrintState, message = ''): void {
    if (this.printStartTime === null) return;
    this.observe(this.printer.clock.now());
    this.state = state;
    this.errorMessage = message;
    this.totalDuration = this.printer.clock.now() - this.printStartTime;
    if (this.filamentUsed < 0.0000001) this.initDuration = this.totalDuration - this.prevPauseDuration;
    this.printStartTime = null;
  }

  reset(): void {
    this.filename = '';
    this.errorMessage = '';
    this.state = 'standby';
    this.prevPauseDuration = 0;
    this.lastEpos = 0;
    this.filamentUsed = 0;
    this.totalDuration = 0;
    this.printStartTime = null;
    this.lastPauseTime = null;
    this.initDuration = 0;
    this.totalLayer = null;
    this.currentLayer = null;
  }

  private cmdSetInfo(gcmd: GCodeCommand): void {
    const total = gcmd.getInt('TOTAL_LAYER', this.totalLayer, { minval: 0 });
    const current = gcmd.getInt('CURRENT_LAYER', this.currentLayer, { minval: 0 });
    if (total === 0) {
      this.totalLayer = null;
      this.currentLayer = null;
    } else if (total !== this.totalLayer) {
      this.totalLayer = total;
      this.currentLayer = 0;
    }
    if (this.totalLayer !== null && current !== null && current !== this.currentLayer) {
      this.currentLayer = Math.min(current, this.totalLayer);
    }
  }

  getStatus(eventtime: number): JsonObject {
    let timePaused = this.prevPauseDuration;
    if (this.printStartTime !== null) {
      if (this.lastPauseTime !== null) timePaused += eventtime - this.lastPauseTime;
      else this.updateFilamentUsage();
      this.totalDuration = eventtime - this.printStartTime;
      if (this.filamentUsed < 0.0000001) this.initDuration = this.totalDuration - timePaused;
    }
    return {
      filename: this.filename,
      total_duration: this.totalDuration,
      print_duration: this.totalDuration - this.initDuration - timePaused,
      filament_used: this.filamentUsed,
      state: this.state,
      message: this.errorMessage,
      info: { total_layer: this.totalLayer, current_layer: this.currentLayer },
    };
  }
}
