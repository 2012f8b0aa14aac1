// gcode_macro (extras/gcode_macro.py): every [gcode_macro NAME] section of printer.cfg becomes
// a command and a "gcode_macro NAME" printer object; rename_existing first moves the command of
// that name aside (PAUSE becomes BASE_PAUSE) so the macro can wrap it. The sim has no Jinja:
// the macros it knows (print start/end, pause/resume/cancel) run natively what their templates
// say, and any other macro answers a clear error rather than silently doing nothing.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';
import { PAUSE_MACROS } from './pauseMacros.js';
import { PRINT_MACROS } from './printMacros.js';

/** A macro the sim runs natively, and the template text the config shows for it. */
export interface NativeMacro {
  description: string;
  template: string;
  renameExisting?: string;
  run(printer: Printer, gcmd: GCodeCommand): Promise<void>;
}

export const NATIVE_MACROS: Record<string, NativeMacro> = { ...PRINT_MACROS, ...PAUSE_MACROS };

/** A gcode_macro object: Klippy reports the macro's variables, and these have none. */
class MacroStatus implements StatusSource {
  getStatus(): JsonObject {
    return {};
  }
}

export class GcodeMacros {
  readonly objects: Array<[string, StatusSource]> = [];

  constructor(private readonly printer: Printer) {
    const { config, gcode } = printer;
    for (const section of config.sectionNames()) {
      const m = /^gcode_macro\s+(\S+)$/.exec(section);
      if (!m) continue;
      const name = m[1]!.toUpperCase();
      const native = NATIVE_MACROS[name];
      const rename = config.get(section, 'rename_existing', '');
      if (rename) gcode.renameCommand(name, rename.toUpperCase());
      const desc = config.get(section, 'description', 'G-Code macro');
      const run = native
        ? (g: GCodeCommand) => native.run(printer, g)
        : (g: GCodeCommand) => {
            throw g.error(`${name}: the virtual printer runs only its own macros, not Jinja templates`);
          };
      gcode.registerCommand(name, run, { desc });
      this.objects.push([`gcode_macro ${m[1]!}`, new MacroStatus()]);
    }
  }
}
