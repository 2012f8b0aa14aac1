// The heated bed (extras/heater_bed.py): a heater plus M140/M190.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';
import { Heater } from './heaters.js';

export class HeaterBed implements StatusSource {
  readonly heater: Heater;

  constructor(private readonly printer: Printer) {
    this.heater = new Heater(printer, 'heater_bed', 'B', { gain: 100, tau: 180, kp: 0.3 });
    printer.heaters.add(this.heater);
    printer.gcode.registerCommand('M140', (g) => this.cmdM140(g, false));
    printer.gcode.registerCommand('M190', (g) => this.cmdM140(g, true));
  }

  private cmdM140(gcmd: GCodeCommand, wait: boolean): Promise<void> {
    return this.printer.heaters.setTemperature(this.heater, gcmd.getFloat('S', 0), wait);
  }

  getStatus(eventtime: number): JsonObject {
    return this.heater.getStatus(eventtime);
  }
}
