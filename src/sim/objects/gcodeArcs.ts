// G2/G3 arcs (extras/gcode_arcs.py). Klippy splits an arc into short G1 segments; the sim makes
// one move to the end point that takes as long as the arc's length, which is what clients can
// observe (time, final position, extruded length) without thousands of segments.

import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import type { Printer } from '../printer.js';

export class GcodeArcs {
  constructor(private readonly printer: Printer) {
    printer.gcode.registerCommand('G2', (g) => this.cmdArc(g, true));
    printer.gcode.registerCommand('G3', (g) => this.cmdArc(g, false));
  }

  private cmdArc(gcmd: GCodeCommand, clockwise: boolean): Promise<void> | undefined {
    const gm = this.printer.gcodeMove;
    if (!gm.absoluteCoord) throw gcmd.error('G2/G3 does not support relative move mode');
    if (gcmd.getFloat('R', null) !== null) throw gcmd.error('G2/G3 does not support R moves');
    const i = gcmd.getFloat('I', 0);
    const j = gcmd.getFloat('J', 0);
    if (!i && !j) throw gcmd.error('G2/G3 requires IJ, IK or JK parameters');
    const start = gm.gcodePosition();
    const x = gcmd.getFloat('X', start[0]);
    const y = gcmd.getFloat('Y', start[1]);
    const z = gcmd.getFloat('Z', start[2]);
    // Angle swept around the centre (start + I,J), in the arc's direction; equal ends = full circle.
    const rx = -i;
    const ry = -j;
    const tx = x - (start[0] + i);
    const ty = y - (start[1] + j);
    let angle = Math.atan2(rx * ty - ry * tx, rx * tx + ry * ty);
    if (clockwise) {
      if (angle >= 0) angle -= 2 * Math.PI;
    } else if (angle <= 0) {
      angle += 2 * Math.PI;
    }
    const length = Math.hypot(Math.hypot(rx, ry) * Math.abs(angle), z - start[2]);
    gm.applyAxes(gcmd, ['X', 'Y', 'Z', 'E']);
    return gm.moveAlong(length);
  }
}
