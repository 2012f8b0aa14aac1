// START_PRINT/PRINT_START and END_PRINT/PRINT_END: the macros most Klipper printer.cfg files
// define and that Klipper-flavoured slicer output calls. The sim has no Jinja, so each macro is
// implemented natively and the config shows the equivalent template, keeping what clients read
// in printer.cfg and what the printer does the same.

import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import { parsePyFloat } from '../gcode/pyValues.js';
import type { Printer } from '../printer.js';
import type { NativeMacro } from './gcodeMacros.js';

const START_MACRO_TEMPLATE = [
  '{% set BED = params.BED_TEMP|default(params.BED)|default(0)|float %}',
  '{% set EXTRUDER = params.EXTRUDER_TEMP|default(params.EXTRUDER)|default(0)|float %}',
  'M140 S{BED}',
  'G28',
  '{% if BED > 0 %}M190 S{BED}{% endif %}',
  '{% if EXTRUDER > 0 %}M109 S{EXTRUDER}{% endif %}',
].join('\n');

const END_MACRO_TEMPLATE = ['TURN_OFF_HEATERS', 'M107', 'M84'].join('\n');

function temp(gcmd: GCodeCommand, ...names: string[]): number {
  for (const n of names) {
    const raw = gcmd.params[n];
    if (raw !== undefined) return parsePyFloat(raw) ?? 0;
  }
  return 0;
}

const start: NativeMacro = {
  description: 'Heat the bed, home, then heat the nozzle (BED_TEMP, EXTRUDER_TEMP)',
  template: START_MACRO_TEMPLATE,
  async run(printer: Printer, gcmd: GCodeCommand) {
    const bed = temp(gcmd, 'BED_TEMP', 'BED');
    const extruder = temp(gcmd, 'EXTRUDER_TEMP', 'EXTRUDER');
    const lines = [`M140 S${bed}`, 'G28'];
    if (bed > 0) lines.push(`M190 S${bed}`);
    if (extruder > 0) lines.push(`M109 S${extruder}`);
    await printer.gcode.runScriptFromCommand(lines.join('\n'));
  },
};

const end: NativeMacro = {
  description: 'Turn off heaters, fan and motors',
  template: END_MACRO_TEMPLATE,
  run: (printer: Printer) => printer.gcode.runScriptFromCommand(END_MACRO_TEMPLATE),
};

export const PRINT_MACROS: Record<string, NativeMacro> = {
  START_PRINT: start,
  PRINT_START: start,
  END_PRINT: end,
  PRINT_END: end,
};
