// display_status (extras/display_status.py): the M117 message and M73 progress. An M73 value
// is shown for 5 s after it was sent, and longer while the printer keeps printing; otherwise the
// progress falls back to the virtual SD card's file position.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { Printer } from '../printer.js';
import { rawCommandParameters } from '../gcode/lineParser.js';
import type { StatusSource } from '../printerObject.js';

const M73_TIMEOUT = 5;

export class DisplayStatus implements StatusSource {
  private progress: number | null = null;
  private expireProgress = 0;
  private message: string | null = null;

  constructor(private readonly printer: Printer) {
    const gcode = printer.gcode;
    gcode.registerCommand('M73', (g) => {
      const p = g.getFloat('P', null);
      if (p === null) return;
      this.progress = Math.min(1, Math.max(0, p / 100));
      this.expireProgress = printer.clock.now() + M73_TIMEOUT;
    });
    gcode.registerCommand('M117', (g) => {
      this.message = rawCommandParameters(g.command, g.commandline) || null;
    });
    gcode.registerCommand('SET_DISPLAY_TEXT', (g) => void (this.message = g.get('MSG', null)), {
      desc: 'Set or clear the display message',
    });
  }

  getStatus(eventtime: number): JsonObject {
    let progress = this.progress;
    if (progress !== null && eventtime > this.expireProgress) {
      if (this.printer.idleTimeout.getStatus(eventtime).state !== 'Printing') this.progress = progress = null;
    }
    if (progress === null) progress = this.printer.virtualSdcard.progress();
    return { progress, message: this.message };
  }
}
