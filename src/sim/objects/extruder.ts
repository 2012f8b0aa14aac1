// The extruder (kinematics/extruder.py): its heater plus the extrusion checks Klippy applies to
// every move with E ("Extrude below minimum temp", extrude-only length, cross-section) and the
// speed limit on extrude-only moves. M104/M109 live here because Klippy registers them here.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import { CommandError } from '../gcode/commandError.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import { fixed } from '../gcode/pyValues.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';
import { Heater } from './heaters.js';

/** What the extruder needs to know about a move to check it. */
export interface MoveForCheck {
  axesD: [number, number, number, number];
  moveD: number;
  /** The head moves in X/Y (an arc back to its start counts: Klippy sees its segments). */
  hasXY: boolean;
}

export class Extruder implements StatusSource {
  readonly name = 'extruder';
  readonly heater: Heater;
  private pressureAdvance: number;
  private smoothTime: number;
  private readonly nozzleDiameter: number;
  private readonly filamentArea: number;
  private readonly maxExtrudeRatio: number;
  private readonly maxEVelocity: number;
  private readonly maxEDist: number;

  constructor(private readonly printer: Printer) {
    const cfg = printer.config;
    // A hotend heats at ~5 C/s from cold and cools at ~1 C/s near printing temperature.
    this.heater = new Heater(printer, 'extruder', 'T0', { gain: 750, tau: 150, kp: 0.1 });
    printer.heaters.add(this.heater);
    this.nozzleDiameter = cfg.getFloat('extruder', 'nozzle_diameter');
    const filamentDiameter = cfg.getFloat('extruder', 'filament_diameter');
    this.filamentArea = Math.PI * (filamentDiameter / 2) ** 2;
    const defMaxCrossSection = 4 * this.nozzleDiameter ** 2;
    const defMaxExtrudeRatio = defMaxCrossSection / this.filamentArea;
    this.maxExtrudeRatio =
      cfg.getFloat('extruder', 'max_extrude_cross_section', defMaxCrossSection) / this.filamentArea;
    this.maxEVelocity = cfg.getFloat('printer', 'max_velocity') * defMaxExtrudeRatio;
    this.maxEDist = cfg.getFloat('extruder', 'max_extrude_only_distance', 50);
    this.pressureAdvance = cfg.getFloat('extruder', 'pressure_advance');
    this.smoothTime = cfg.getFloat('extruder', 'pressure_advance_smooth_time');

    const gcode = printer.gcode;
    gcode.registerCommand('M104', (g) => this.cmdM104(g, false));
    gcode.registerCommand('M109', (g) => this.cmdM104(g, true));
    const paHelp = 'Set pressure advance parameters';
    gcode.registerMuxCommand('SET_PRESSURE_ADVANCE', 'EXTRUDER', null, (g) => this.cmdSetPressureAdvance(g), paHelp);
    gcode.registerMuxCommand('SET_PRESSURE_ADVANCE', 'EXTRUDER', 'extruder', (g) => this.cmdSetPressureAdvance(g));
    gcode.registerMuxCommand(
      'ACTIVATE_EXTRUDER',
      'EXTRUDER',
      'extruder',
      (g) => g.respondInfo(`Extruder ${this.name} already active`),
      'Change the active extruder',
    );
    // Distances here are millimetres of filament, so the rotation distance is only reported.
    this.rotationDistance = cfg.getFloat('extruder', 'rotation_distance', 33.5);
    gcode.registerMuxCommand(
      'SET_EXTRUDER_ROTATION_DISTANCE',
      'EXTRUDER',
      'extruder',
      (g) => this.cmdSetRotationDistance(g),
      'Set extruder rotation distance',
    );
    gcode.registerMuxCommand(
      'SYNC_EXTRUDER_MOTION',
      'EXTRUDER',
      'extruder',
      (g) => {
        throw g.error('SYNC_EXTRUDER_MOTION is not available on the virtual printer');
      },
      'Set extruder stepper motion queue',
    );
  }

  private rotationDistance: number;

  private cmdSetRotationDistance(gcmd: GCodeCommand): void {
    const distance = gcmd.getFloat('DISTANCE', null);
    if (distance === null) {
      gcmd.respondInfo(`Extruder '${this.name}' rotation distance is ${fixed(this.rotationDistance, 6)}`);
      return;
    }
    if (distance === 0) throw gcmd.error('Rotation distance can not be zero');
    this.rotationDistance = Math.abs(distance);
    gcmd.respondInfo(`Extruder '${this.name}' rotation distance set to ${fixed(this.rotationDistance, 6)}`);
  }

  /** Throws Klippy's errors for a bad extrusion; returns a speed cap for extrude-only moves. */
  checkMove(move: MoveForCheck, now: number): number {
    const axisR = move.axesD[3] / move.moveD;
    if (!this.heater.canExtrude(now)) {
      throw new CommandError(
        "Extrude below minimum temp\nSee the 'min_extrude_temp' config option for details",
      );
    }
    if (!move.hasXY || axisR < 0) {
      if (Math.abs(move.axesD[3]) > this.maxEDist) {
        throw new CommandError(
          `Extrude only move too long (${fixed(move.axesD[3], 3)}mm vs ${fixed(this.maxEDist, 3)}mm)\n` +
            "See the 'max_extrude_only_distance' config option for details",
        );
      }
      return this.maxEVelocity / Math.abs(axisR);
    }
    if (axisR > this.maxExtrudeRatio) {
      if (move.axesD[3] <= this.nozzleDiameter * this.maxExtrudeRatio) return Number.POSITIVE_INFINITY;
      const area = axisR * this.filamentArea;
      throw new CommandError(
        `Move exceeds maximum extrusion (${fixed(area, 3)}mm^2 vs ${fixed(this.maxExtrudeRatio * this.filamentArea, 3)}mm^2)\n` +
          "See the 'max_extrude_cross_section' config option for details",
      );
    }
    return Number.POSITIVE_INFINITY;
  }

  private async cmdM104(gcmd: GCodeCommand, wait: boolean): Promise<void> {
    const temp = gcmd.getFloat('S', 0);
    const index = gcmd.getInt('T', null, { minval: 0 });
    if (index !== null && index !== 0) {
      // Only one extruder exists; switching a missing one off is harmless, on is an error.
      if (temp <= 0) return;
      throw gcmd.error('Extruder not configured');
    }
    await this.printer.heaters.setTemperature(this.heater, temp, wait);
  }

  private cmdSetPressureAdvance(gcmd: GCodeCommand): void {
    this.pressureAdvance = gcmd.getFloat('ADVANCE', this.pressureAdvance, { minval: 0 });
    this.smoothTime = gcmd.getFloat('SMOOTH_TIME', this.smoothTime, { minval: 0, maxval: 0.2 });
    gcmd.respondInfo(
      `pressure_advance: ${fixed(this.pressureAdvance, 6)}\npressure_advance_smooth_time: ${fixed(this.smoothTime, 6)}`,
    );
  }

  getStatus(eventtime: number): JsonObject {
    return {
      ...this.heater.getStatus(eventtime),
      can_extrude: this.heater.canExtrude(eventtime),
      pressure_advance: this.pressureAdvance,
      smooth_time: this.smoothTime,
      motion_queue: this.name,
    };
  }
}
