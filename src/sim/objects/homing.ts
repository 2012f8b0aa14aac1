// G28 (extras/homing.py + cartesian homing): each requested axis travels to its endstop, backs
// off and touches again at half speed, in simulated time; then the axis is homed and its
// position is the endstop position. A homing move never starts before queued moves finish.

import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import type { Printer } from '../printer.js';
import type { Coord } from '../printerObject.js';

const AXIS_NAMES = ['x', 'y', 'z'] as const;

export class Homing {
  constructor(private readonly printer: Printer) {
    printer.gcode.registerCommand('G28', (g) => this.cmdG28(g));
  }

  private async cmdG28(gcmd: GCodeCommand): Promise<void> {
    let axes = [0, 1, 2].filter((i) => gcmd.get('XYZ'.charAt(i), null) !== null);
    if (axes.length === 0) axes = [0, 1, 2];
    const { toolhead, config } = this.printer;
    await toolhead.waitMoves();
    for (const axis of axes) {
      const name = `stepper_${AXIS_NAMES[axis] ?? 'x'}`;
      const endstop = config.getFloat(name, 'position_endstop');
      const speed = config.getFloat(name, 'homing_speed', 5);
      const retract = config.getFloat(name, 'homing_retract_dist', 5);
      const secondSpeed = config.getFloat(name, 'second_homing_speed', speed / 2);
      const at = (v: number): Coord => {
        const p: Coord = [...toolhead.commandedPos];
        p[axis] = v;
        return p;
      };
      this.printer.stepperEnable.enable(name);
      toolhead.queueRawMove(at(endstop), speed);
      toolhead.queueRawMove(at(endstop + retract), speed);
      toolhead.queueRawMove(at(endstop), secondSpeed);
      await toolhead.waitMoves();
      toolhead.setPosition(at(endstop), [axis]);
    }
    this.printer.gcodeMove.noteHomed(axes);
  }
}
