// Commands every Klippy registers (configfile, adc, pid_calibrate, force_move, manual_probe,
// tuning_tower) that the virtual printer has no hardware or calibration for. Clients read them
// from gcode/help and the gcode object's command list, so they exist with Klippy's help texts;
// the ones that would need real hardware answer a clear error instead of pretending.
// SET_KINEMATIC_POSITION is real: it only moves the toolhead's idea of where it is.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import type { Printer } from '../printer.js';
import type { Coord, StatusSource } from '../printerObject.js';

const unsupported = (gcmd: GCodeCommand): never => {
  throw gcmd.error(`${gcmd.command} is not available on the virtual printer`);
};

/** manual_probe's status: no probing session is ever active here. */
class ManualProbeStatus implements StatusSource {
  getStatus(): JsonObject {
    return { is_active: false, z_position: null, z_position_lower: null, z_position_upper: null };
  }
}

export class StockCommands {
  readonly manualProbe: StatusSource = new ManualProbeStatus();

  constructor(private readonly printer: Printer) {
    const gcode = printer.gcode;
    // configfile: with nothing pending, SAVE_CONFIG does nothing (and the sim never has pending items).
    gcode.registerCommand('SAVE_CONFIG', () => undefined, { desc: 'Overwrite config file and restart' });
    gcode.registerCommand('QUERY_ADC', unsupported, { desc: 'Report the last value of an analog pin' });
    gcode.registerCommand('PID_CALIBRATE', unsupported, { desc: 'Run PID calibration test' });
  }

  /** Registered after QUERY_ENDSTOPS/SET_STEPPER_ENABLE, where Klippy's help lists them. */
  registerForceMove(): void {
    const { gcode, config } = this.printer;
    gcode.registerCommand('SET_KINEMATIC_POSITION', (g) => this.cmdSetKinematicPosition(g), {
      desc: 'Force a low-level kinematic position',
    });
    gcode.registerCommand('STEPPER_BUZZ', unsupported, { desc: 'Oscillate a given stepper to help id it' });
    if (config.has('force_move') && /^true$/i.test(config.get('force_move', 'enable_force_move', 'False'))) {
      gcode.registerCommand('FORCE_MOVE', unsupported, { desc: 'Manually move a stepper; invalidates kinematics' });
    }
  }

  registerCalibration(): void {
    const gcode = this.printer.gcode;
    gcode.registerCommand('MANUAL_PROBE', unsupported, { desc: 'Start manual probe helper script' });
    gcode.registerCommand('Z_ENDSTOP_CALIBRATE', unsupported, { desc: 'Calibrate a Z endstop' });
    gcode.registerCommand('Z_OFFSET_APPLY_ENDSTOP', unsupported, { desc: 'Adjust the z endstop_position' });
    gcode.registerCommand('TUNING_TOWER', unsupported, { desc: 'Tool to adjust a parameter at each Z height' });
  }

  private async cmdSetKinematicPosition(gcmd: GCodeCommand): Promise<void> {
    const { toolhead, gcodeMove } = this.printer;
    await toolhead.waitMoves();
    const pos: Coord = [...toolhead.commandedPos];
    'XYZ'.split('').forEach((axis, i) => {
      pos[i] = gcmd.getFloat(axis, pos[i]!);
    });
    this.printer.log.info(`SET_KINEMATIC_POSITION pos=${pos.slice(0, 3).map((v) => v.toFixed(3)).join(',')}`);
    toolhead.setPosition(pos, [0, 1, 2]);
    gcodeMove.resetLastPosition();
  }
}
