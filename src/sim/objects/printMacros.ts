// START_PRINT/PRINT_START and END_PRINT/PRINT_END: the macros most Klipper printer.cfg files
// define and that Klipper-flavoured slicer output calls. The sim has no Jinja, so each macro is
// implemented natively and the config shows the equivalent template, keeping what clients read
// in printer.cfg and what the printer does the same.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import { parsePyFloat } from '../gcode/pyValues.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';

export const START_MACRO_TEMPLATE = [
  '{% set BED = params.BED_TEMP|default(params.BED)|default(0)|float %}',
  '{% set EXTRUDER = params.EXTRUDER_TEMP|default(params.EXTRUDER)|default(0)|float %}',
  'M140 S{BED}',
  'G28',
  '{% if BED > 0 %}M190 S{BED}{% endif %}',
  '{% if EXTRUDER > 0 %}M109 S{EXTRUDER}{% endif %}',
].join('\n');

export const END_MACRO_TEMPLATE = ['TURN_OFF_HEATERS', 'M107', 'M84'].join('\n');

export const START_MACRO_DESC = 'Heat the bed, home, then heat the nozzle (BED_TEMP, EXTRUDER_TEMP)';
export const END_MACRO_DESC = 'Turn off heaters, fan and motors';

/** A gcode_macro object: Klippy reports the macro's variables, and these have none. */
class MacroStatus implements StatusSource {
  getStatus(): JsonObject {
    return {};
  }
}

export class PrintMacros {
  readonly objects: Array<[string, StatusSource]> = [];

  constructor(private readonly printer: Printer) {
    for (const name of ['START_PRINT', 'PRINT_START']) this.register(name, (g) => this.start(g), START_MACRO_DESC);
    for (const name of ['END_PRINT', 'PRINT_END']) this.register(name, () => this.end(), END_MACRO_DESC);
  }

  private register(name: string, run: (g: GCodeCommand) => Promise<void>, desc: string): void {
    this.printer.gcode.registerCommand(name, run, { desc });
    this.objects.push([`gcode_macro ${name}`, new MacroStatus()]);
  }

  private temp(gcmd: GCodeCommand, ...names: string[]): number {
    for (const n of names) {
      const raw = gcmd.params[n];
      if (raw !== undefined) return parsePyFloat(raw) ?? 0;
    }
    return 0;
  }

  private async start(gcmd: GCodeCommand): Promise<void> {
    const bed = this.temp(gcmd, 'BED_TEMP', 'BED');
    const extruder = this.temp(gcmd, 'EXTRUDER_TEMP', 'EXTRUDER');
    const lines = [`M140 S${bed}`, 'G28'];
    if (bed > 0) lines.push(`M190 S${bed}`);
    if (extruder > 0) lines.push(`M109 S${extruder}`);
    await this.printer.gcode.runScriptFromCommand(lines.join('\n'));
  }

  private end(): Promise<void> {
    return this.printer.gcode.runScriptFromCommand(END_MACRO_TEMPLATE);
  }
}
