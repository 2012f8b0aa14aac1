// G-code coordinate handling (extras/gcode_move.py): absolute/relative modes, G92 offsets,
// speed and extrude factors, saved states, and G0/G1 turning into toolhead moves. Positions are
// kept in Klippy's three frames: gcode position, last commanded position, and homing origin.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import { fixed, parsePyFloat } from '../gcode/pyValues.js';
import type { Printer } from '../printer.js';
import type { Coord, StatusSource } from '../printerObject.js';

const AXES = ['X', 'Y', 'Z', 'E'] as const;

interface SavedState {
  absoluteCoord: boolean;
  absoluteExtrude: boolean;
  basePosition: Coord;
  lastPosition: Coord;
  homingPosition: Coord;
  speed: number;
  speedFactor: number;
  extrudeFactor: number;
}

export class GCodeMove implements StatusSource {
  absoluteCoord = true;
  absoluteExtrude = true;
  basePosition: Coord = [0, 0, 0, 0];
  lastPosition: Coord = [0, 0, 0, 0];
  homingPosition: Coord = [0, 0, 0, 0];
  /** Toolhead speed in mm/s, already multiplied by the speed factor. */
  speed = 25;
  /** Klippy keeps the M220 factor divided by 60 (F is mm/min). */
  speedFactor = 1 / 60;
  extrudeFactor = 1;
  private readonly saved = new Map<string, SavedState>();
  private isPrinterReady = false;

  constructor(private readonly printer: Printer) {
    const gcode = printer.gcode;
    gcode.registerCommand('G1', (g) => this.cmdG1(g));
    gcode.registerCommand('G0', (g) => this.cmdG1(g));
    gcode.registerCommand('G20', (g) => {
      throw g.error('Machine does not support G20 (inches) command');
    });
    gcode.registerCommand('G21', () => undefined);
    gcode.registerCommand('M82', () => void (this.absoluteExtrude = true));
    gcode.registerCommand('M83', () => void (this.absoluteExtrude = false));
    gcode.registerCommand('G90', () => void (this.absoluteCoord = true));
    gcode.registerCommand('G91', () => void (this.absoluteCoord = false));
    gcode.registerCommand('G92', (g) => this.cmdG92(g));
    gcode.registerCommand('M220', (g) => this.cmdM220(g));
    gcode.registerCommand('M221', (g) => this.cmdM221(g));
    gcode.registerCommand('SET_GCODE_OFFSET', (g) => this.cmdSetGcodeOffset(g), {
      desc: 'Set a virtual offset to g-code positions',
    });
    gcode.registerCommand('SAVE_GCODE_STATE', (g) => this.cmdSaveState(g), { desc: 'Save G-Code coordinate state' });
    gcode.registerCommand('RESTORE_GCODE_STATE', (g) => this.cmdRestoreState(g), {
      desc: 'Restore a previously saved G-Code state',
    });
    gcode.registerCommand('M114', (g) => this.cmdM114(g), { whenNotReady: true });
    gcode.registerCommand('GET_POSITION', (g) => this.cmdGetPosition(g), {
      whenNotReady: true,
      desc: 'Return information on the current location of the toolhead',
    });
    printer.events.on('ready', () => {
      this.isPrinterReady = true;
      this.resetLastPosition();
    });
    printer.events.on('shutdown', () => (this.isPrinterReady = false));
    // A failed move leaves the gcode position where the toolhead really is.
    printer.events.on('gcode:command_error', () => this.resetLastPosition());
  }

  resetLastPosition(): void {
    if (this.isPrinterReady) this.lastPosition = [...this.printer.toolhead.commandedPos];
  }

  /** After homing: the homed axes take the homing origin as their gcode base. */
  noteHomed(axes: number[]): void {
    this.resetLastPosition();
    for (const a of axes) this.basePosition[a] = this.homingPosition[a] ?? 0;
  }

  gcodePosition(): Coord {
    const p = this.lastPosition.map((v, i) => v - (this.basePosition[i] ?? 0)) as Coord;
    p[3] /= this.extrudeFactor;
    return p;
  }

  /** Applies G1-style parameters to the target position; shared with G2/G3. */
  applyAxes(gcmd: GCodeCommand, axes: readonly string[] = AXES): void {
    const params = gcmd.params;
    for (const axis of axes) {
      const raw = params[axis];
      if (raw === undefined) continue;
      const pos = AXES.indexOf(axis as (typeof AXES)[number]);
      let v = this.parseMoveValue(gcmd, raw);
      let absolute = this.absoluteCoord;
      if (axis === 'E') {
        v *= this.extrudeFactor;
        if (!this.absoluteExtrude) absolute = false;
      }
      this.lastPosition[pos] = absolute ? v + (this.basePosition[pos] ?? 0) : (this.lastPosition[pos] ?? 0) + v;
    }
    const f = params.F;
    if (f !== undefined) {
      const gcodeSpeed = this.parseMoveValue(gcmd, f);
      if (gcodeSpeed <= 0) throw gcmd.error(`Invalid speed in '${gcmd.commandline}'`);
      this.speed = gcodeSpeed * this.speedFactor;
    }
  }

  private parseMoveValue(gcmd: GCodeCommand, raw: string): number {
    const v = parsePyFloat(raw);
    if (v === undefined) throw gcmd.error(`Unable to parse move '${gcmd.commandline}'`);
    return v;
  }

  private cmdG1(gcmd: GCodeCommand): Promise<void> | undefined {
    this.applyAxes(gcmd);
    const result = this.printer.toolhead.move([...this.lastPosition], this.speed);
    if (gcmd.params.E !== undefined) this.printer.printStats.observe(this.printer.clock.now());
    return result;
  }

  /** Moves the toolhead to lastPosition along a path of the given length (G2/G3 arcs). */
  moveAlong(pathLength: number): Promise<void> | undefined {
    const result = this.printer.toolhead.move([...this.lastPosition], this.speed, pathLength);
    this.printer.printStats.observe(this.printer.clock.now());
    return result;
  }

  private cmdG92(gcmd: GCodeCommand): void {
    const offsets = AXES.map((a) => gcmd.getFloat(a, null));
    offsets.forEach((offset, i) => {
      if (offset === null) return;
      const o = i === 3 ? offset * this.extrudeFactor : offset;
      this.basePosition[i] = (this.lastPosition[i] ?? 0) - o;
    });
    if (offsets.every((o) => o === null)) this.basePosition = [...this.lastPosition];
  }

  private cmdM220(gcmd: GCodeCommand): void {
    const value = gcmd.getFloat('S', 100, { above: 0 }) / (60 * 100);
    this.speed = (this.speed / this.speedFactor) * value;
    this.speedFactor = value;
  }

  private cmdM221(gcmd: GCodeCommand): void {
    const factor = gcmd.getFloat('S', 100, { above: 0 }) / 100;
    const lastE = this.lastPosition[3];
    const eValue = (lastE - this.basePosition[3]) / this.extrudeFactor;
    this.basePosition[3] = lastE - eValue * factor;
    this.extrudeFactor = factor;
  }

  private cmdSetGcodeOffset(gcmd: GCodeCommand): Promise<void> | undefined {
    const delta: Coord = [0, 0, 0, 0];
    AXES.forEach((axis, pos) => {
      let offset = gcmd.getFloat(axis, null);
      if (offset === null) {
        const adjust = gcmd.getFloat(`${axis}_ADJUST`, null);
        if (adjust === null) return;
        offset = adjust + (this.homingPosition[pos] ?? 0);
      }
      const d = offset - (this.homingPosition[pos] ?? 0);
      delta[pos] = d;
      this.basePosition[pos] = (this.basePosition[pos] ?? 0) + d;
      this.homingPosition[pos] = offset;
    });
    if (!gcmd.getInt('MOVE', 0)) return undefined;
    const speed = gcmd.getFloat('MOVE_SPEED', this.speed, { above: 0 });
    delta.forEach((d, i) => (this.lastPosition[i] = (this.lastPosition[i] ?? 0) + d));
    return this.printer.toolhead.move([...this.lastPosition], speed);
  }

  private cmdSaveState(gcmd: GCodeCommand): void {
    this.saved.set(gcmd.get('NAME', 'default'), {
      absoluteCoord: this.absoluteCoord,
      absoluteExtrude: this.absoluteExtrude,
      basePosition: [...this.basePosition],
      lastPosition: [...this.lastPosition],
      homingPosition: [...this.homingPosition],
      speed: this.speed,
      speedFactor: this.speedFactor,
      extrudeFactor: this.extrudeFactor,
    });
  }

  private cmdRestoreState(gcmd: GCodeCommand): Promise<void> | undefined {
    const name = gcmd.get('NAME', 'default');
    const state = this.saved.get(name);
    if (!state) throw gcmd.error(`Unknown g-code state: ${name}`);
    this.absoluteCoord = state.absoluteCoord;
    this.absoluteExtrude = state.absoluteExtrude;
    this.basePosition = [...state.basePosition];
    this.homingPosition = [...state.homingPosition];
    this.speed = state.speed;
    this.speedFactor = state.speedFactor;
    this.extrudeFactor = state.extrudeFactor;
    // Keep the extruder where it is now: only the relative E frame is restored.
    this.basePosition[3] += this.lastPosition[3] - state.lastPosition[3];
    if (!gcmd.getInt('MOVE', 0)) return undefined;
    const speed = gcmd.getFloat('MOVE_SPEED', this.speed, { above: 0 });
    this.lastPosition = [state.lastPosition[0], state.lastPosition[1], state.lastPosition[2], this.lastPosition[3]];
    return this.printer.toolhead.move([...this.lastPosition], speed);
  }

  private cmdM114(gcmd: GCodeCommand): void {
    const p = this.gcodePosition().map((v) => fixed(v, 3));
    gcmd.respondRaw(`X:${p[0]} Y:${p[1]} Z:${p[2]} E:${p[3]}`);
  }

  private cmdGetPosition(gcmd: GCodeCommand): void {
    const th = this.printer.toolhead.commandedPos;
    const f6 = (names: string, values: number[]): string =>
      values.map((v, i) => `${names[i] ?? '?'}:${fixed(v, 6)}`).join(' ');
    const steppers = ['stepper_x', 'stepper_y', 'stepper_z'];
    const stepsPerMm = [80, 80, 400];
    const mcu = steppers.map((s, i) => `${s}:${Math.round((th[i] ?? 0) * (stepsPerMm[i] ?? 1))}`).join(' ');
    const stepper = steppers.map((s, i) => `${s}:${fixed(th[i] ?? 0, 6)}`).join(' ');
    gcmd.respondInfo(
      `mcu: ${mcu}\nstepper: ${stepper}\nkinematic: ${f6('XYZ', th.slice(0, 3))}\n` +
        `toolhead: ${f6('XYZE', th)}\ngcode: ${f6('XYZE', this.lastPosition)}\n` +
        `gcode base: ${f6('XYZE', this.basePosition)}\ngcode homing: ${f6('XYZ', this.homingPosition.slice(0, 3))}`,
    );
  }

  getStatus(): JsonObject {
    return {
      speed_factor: this.speedFactor * 60,
      speed: this.speed / this.speedFactor,
      extrude_factor: this.extrudeFactor,
      absolute_coordinates: this.absoluteCoord,
      absolute_extrude: this.absoluteExtrude,
      homing_origin: [...this.homingPosition],
      position: [...this.lastPosition],
      gcode_position: this.gcodePosition(),
      axis_map: { X: 0, Y: 1, Z: 2, E: 3 },
    };
  }
}
