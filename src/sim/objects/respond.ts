// RESPOND and M118 (extras/respond.py): messages from scripts to the console.

import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import { rawCommandParameters } from '../gcode/lineParser.js';
import type { Printer } from '../printer.js';

const PREFIXES: Record<string, string> = { echo: 'echo:', command: '//', error: '!!' };

export class Respond {
  private readonly defaultPrefix: string;

  constructor(printer: Printer) {
    const type = printer.config.get('respond', 'default_type', 'echo');
    this.defaultPrefix = printer.config.get('respond', 'default_prefix', PREFIXES[type] ?? 'echo:');
    printer.gcode.registerCommand(
      'M118',
      (g) => g.respondRaw(`${this.defaultPrefix} ${rawCommandParameters(g.command, g.commandline)}`),
      { whenNotReady: true },
    );
    printer.gcode.registerCommand('RESPOND', (g) => this.cmdRespond(g), {
      whenNotReady: true,
      desc: 'Echo the message prepended with a prefix',
    });
  }

  private cmdRespond(gcmd: GCodeCommand): void {
    let prefix = this.defaultPrefix;
    let noSpace = false;
    const type = gcmd.get('TYPE', null);
    if (type !== null) {
      const t = type.toLowerCase();
      if (t === 'echo_no_space') {
        prefix = 'echo:';
        noSpace = true;
      } else if (PREFIXES[t] !== undefined) {
        prefix = PREFIXES[t];
      } else {
        throw gcmd.error(`RESPOND TYPE '${t}' is invalid. Must be one of 'echo', 'command', or 'error'`);
      }
    }
    prefix = gcmd.get('PREFIX', prefix);
    const msg = gcmd.get('MSG', '');
    gcmd.respondRaw(noSpace ? `${prefix}${msg}` : `${prefix} ${msg}`);
  }
}
