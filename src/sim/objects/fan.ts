// The part cooling fan (extras/fan.py): M106 S<0-255> / M107, reported as speed 0..1.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';

export class Fan implements StatusSource {
  private speed = 0;

  constructor(printer: Printer) {
    printer.gcode.registerCommand('M106', (g) => {
      this.speed = Math.min(1, Math.max(0, g.getFloat('S', 255, { minval: 0 }) / 255));
    });
    printer.gcode.registerCommand('M107', () => void (this.speed = 0));
    // Klippy turns the fan off when the MCU shuts down.
    printer.events.on('shutdown', () => (this.speed = 0));
  }

  getStatus(): JsonObject {
    // No tachometer pin is configured, so rpm is null as on most printers.
    return { speed: this.speed, rpm: null };
  }
}
