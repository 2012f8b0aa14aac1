// stepper_enable (extras/stepper_enable.py): which motors are powered. A stepper is enabled by
// the first move that uses it; M84/M18 disable them all and forget homing, as on a real printer.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';

const DISABLE_STALL_TIME = 0.1;
const AXIS_STEPPERS = ['stepper_x', 'stepper_y', 'stepper_z', 'extruder'] as const;

export class StepperEnable implements StatusSource {
  private readonly enabled = new Map<string, boolean>(AXIS_STEPPERS.map((s) => [s, false]));

  constructor(private readonly printer: Printer) {
    const gcode = printer.gcode;
    gcode.registerCommand('M18', () => this.motorOff());
    gcode.registerCommand('M84', () => this.motorOff());
    gcode.registerCommand('SET_STEPPER_ENABLE', (g) => this.cmdSetStepperEnable(g), {
      desc: 'Enable/disable individual stepper by name',
    });
    printer.events.on('shutdown', () => {
      for (const s of this.enabled.keys()) this.enabled.set(s, false);
    });
  }

  /** Marks the steppers a move uses (axes with a non-zero delta) as enabled. */
  noteMove(axesD: readonly number[]): void {
    for (let i = 0; i < AXIS_STEPPERS.length; i++) {
      if (axesD[i]) this.enabled.set(AXIS_STEPPERS[i] ?? 'extruder', true);
    }
  }

  enable(stepper: string): void {
    this.enabled.set(stepper, true);
  }

  async motorOff(): Promise<void> {
    const toolhead = this.printer.toolhead;
    await toolhead.dwell(DISABLE_STALL_TIME);
    toolhead.getLastMoveTime();
    for (const s of this.enabled.keys()) this.enabled.set(s, false);
    this.printer.events.emit('stepper_enable:motor_off');
    await toolhead.dwell(DISABLE_STALL_TIME);
  }

  private cmdSetStepperEnable(gcmd: GCodeCommand): void {
    const name = gcmd.get('STEPPER', null);
    if (name === null || !this.enabled.has(name)) {
      gcmd.respondInfo(`SET_STEPPER_ENABLE: Invalid stepper "${name ?? 'None'}"`);
      return;
    }
    const enable = gcmd.getInt('ENABLE', 1);
    this.printer.toolhead.getLastMoveTime();
    if (enable) {
      this.enabled.set(name, true);
      gcmd.respondInfo(`${name} has been manually enabled`);
    } else {
      this.enabled.set(name, false);
      // An unpowered axis may have moved: Klippy forgets its homing.
      const axis = AXIS_STEPPERS.indexOf(name as (typeof AXIS_STEPPERS)[number]);
      if (axis >= 0 && axis < 3) this.printer.toolhead.clearHoming([axis]);
      gcmd.respondInfo(`${name} has been manually disabled`);
    }
  }

  getStatus(): JsonObject {
    return { steppers: Object.fromEntries(this.enabled) };
  }
}
