// PAUSE, RESUME and CANCEL_PRINT as gcode_macro, the way Mainsail's and Fluidd's client configs
// ship them (both UIs warn when these macros are missing): each wraps Klippy's own command,
// renamed BASE_*, and adds what a person at the printer wants. Pausing lifts the nozzle off the
// part and parks it at the back corner so the print can be inspected; resuming lets BASE_RESUME
// carry the head back to where the pause saved it; cancelling stops the file, turns off heaters
// and the part fan, and parks (a paused head stays where the pause parked it). Moves happen only on a homed printer (a head that was never homed
// has nowhere known to go). As with every macro here the sim runs the native version of the
// template the config shows.

import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import type { Printer } from '../printer.js';
import type { NativeMacro } from './gcodeMacros.js';

/** How far pausing lifts the nozzle (less near the top of the axis), and where it parks. */
const LIFT_MM = 5;
const PARK_MARGIN_MM = 5;

const PARK_TEMPLATE = [
  '{% set th = printer.toolhead %}',
  '{% if th.homed_axes == "xyz" %}',
  `  {% set lift = [${LIFT_MM}, th.axis_maximum.z - th.position.z]|min %}`,
  '  G91',
  '  G1 Z{lift} F900',
  '  G90',
  `  G1 X{th.axis_maximum.x - ${PARK_MARGIN_MM}} Y{th.axis_maximum.y - ${PARK_MARGIN_MM}} F6000`,
  '{% endif %}',
];

/** Lift and park, as PARK_TEMPLATE says; nothing on an unhomed printer. */
async function park(printer: Printer): Promise<void> {
  const th = printer.toolhead;
  if (th.homedAxes() !== 'xyz') return;
  const [, , z] = th.commandedPos;
  const lift = Math.max(0, Math.min(LIFT_MM, (th.axisMax[2] ?? 0) - (z ?? 0)));
  const x = (th.axisMax[0] ?? 0) - PARK_MARGIN_MM;
  const y = (th.axisMax[1] ?? 0) - PARK_MARGIN_MM;
  await printer.gcode.runScriptFromCommand(['G91', `G1 Z${lift} F900`, 'G90', `G1 X${x} Y${y} F6000`].join('\n'));
}

const pause: NativeMacro = {
  description: 'Pause the print, lift the nozzle and park the head',
  renameExisting: 'BASE_PAUSE',
  template: ['BASE_PAUSE', ...PARK_TEMPLATE].join('\n'),
  async run(printer: Printer) {
    const wasPaused = printer.pauseResume.paused;
    await printer.gcode.runScriptFromCommand('BASE_PAUSE');
    // A second PAUSE only says "already paused": the head is parked already.
    if (!wasPaused) await park(printer);
  },
};

const resume: NativeMacro = {
  description: 'Resume the print: the head returns to where it paused',
  renameExisting: 'BASE_RESUME',
  template: "BASE_RESUME {% if 'VELOCITY' in params %}VELOCITY={params.VELOCITY}{% endif %}",
  async run(printer: Printer, gcmd: GCodeCommand) {
    const velocity = gcmd.params.VELOCITY;
    await printer.gcode.runScriptFromCommand(velocity === undefined ? 'BASE_RESUME' : `BASE_RESUME VELOCITY=${velocity}`);
  },
};

const cancel: NativeMacro = {
  description: 'Cancel the print, turn off heaters and part fan, park the head',
  renameExisting: 'BASE_CANCEL_PRINT',
  template: [
    // Read before BASE_CANCEL_PRINT clears it: a paused head is parked already.
    '{% set was_paused = printer.pause_resume.is_paused %}',
    'BASE_CANCEL_PRINT',
    'TURN_OFF_HEATERS',
    'M107',
    '{% if not was_paused %}',
    ...PARK_TEMPLATE,
    '{% endif %}',
  ].join('\n'),
  async run(printer: Printer) {
    const wasPaused = printer.pauseResume.paused;
    await printer.gcode.runScriptFromCommand(['BASE_CANCEL_PRINT', 'TURN_OFF_HEATERS', 'M107'].join('\n'));
    if (!wasPaused) await park(printer);
  },
};

export const PAUSE_MACROS: Record<string, NativeMacro> = {
  PAUSE: pause,
  RESUME: resume,
  CANCEL_PRINT: cancel,
};
