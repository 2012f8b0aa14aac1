// The toolhead (toolhead.py + kinematics/cartesian.py): commanded position, axis limits and
// homing state, and a queue of timed moves in simulated time. A move takes distance/speed
// seconds; queueing returns at once, but like Klippy the caller stalls while more than
// BUFFER_TIME_HIGH seconds are queued, so a long script takes real (scaled) time to "run".

import type { JsonObject } from '../../shared/klippyProtocol.js';
import { CommandError } from '../gcode/commandError.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import { fixed } from '../gcode/pyValues.js';
import type { Printer } from '../printer.js';
import type { Coord, StatusSource } from '../printerObject.js';

const BUFFER_TIME_HIGH = 2.0;
// Timers cannot wake much finer than a millisecond; at a large time scale a 2 s buffer would
// run dry between wake-ups and leave gaps in the motion, so keep at least this much real time queued.
const MIN_BUFFER_REAL_S = 0.005;
// How long finished moves stay queryable for live_position, in simulated seconds.
const HISTORY = 1.0;

interface TimedMove {
  start: number;
  end: number;
  from: Coord;
  to: Coord;
  velocity: number;
  eVelocity: number;
}

export interface LiveState {
  position: Coord;
  velocity: number;
  eVelocity: number;
}

export class Toolhead implements StatusSource {
  commandedPos: Coord = [0, 0, 0, 0];
  /** End of the last queued move or dwell, in simulated seconds. */
  printTime = 0;
  maxVelocity: number;
  maxAccel: number;
  minCruiseRatio: number;
  squareCornerVelocity: number;
  readonly axisMin: Coord;
  readonly axisMax: Coord;
  private readonly maxZVelocity: number;
  private moves: TimedMove[] = [];
  // Per axis (x, y, z): [min, max] once homed; [1, -1] (empty) while unhomed, as in Klippy.
  private limits: Array<[number, number]> = [
    [1, -1],
    [1, -1],
    [1, -1],
  ];

  constructor(private readonly printer: Printer) {
    const cfg = printer.config;
    this.maxVelocity = cfg.getFloat('printer', 'max_velocity');
    this.maxAccel = cfg.getFloat('printer', 'max_accel');
    this.minCruiseRatio = cfg.getFloat('printer', 'minimum_cruise_ratio');
    this.squareCornerVelocity = cfg.getFloat('printer', 'square_corner_velocity');
    this.maxZVelocity = cfg.getFloat('printer', 'max_z_velocity');
    const range = (a: string): [number, number] => [
      cfg.getFloat(`stepper_${a}`, 'position_min'),
      cfg.getFloat(`stepper_${a}`, 'position_max'),
    ];
    const [x, y, z] = [range('x'), range('y'), range('z')];
    this.axisMin = [x[0], y[0], z[0], 0];
    this.axisMax = [x[1], y[1], z[1], 0];

    const gcode = printer.gcode;
    gcode.registerCommand('G4', (g) => this.dwell(g.getFloat('P', 0, { minval: 0 }) / 1000));
    gcode.registerCommand('M400', () => this.waitMoves());
    gcode.registerCommand('M204', (g) => this.cmdM204(g));
    gcode.registerCommand('SET_VELOCITY_LIMIT', (g) => this.cmdSetVelocityLimit(g), {
      desc: 'Set printer velocity limits',
    });
    printer.events.on('shutdown', () => {
      // The MCU stops stepping: the move queue is gone and the head stays where it was.
      const now = printer.clock.now();
      const live = this.live(now);
      this.moves = [];
      this.printTime = now;
      this.commandedPos = live.position;
    });
    printer.events.on('stepper_enable:motor_off', () => this.clearHoming([0, 1, 2]));
  }

  clearHoming(axes: number[]): void {
    for (const a of axes) this.limits[a] = [1, -1];
  }

  homedAxes(): string {
    return ['x', 'y', 'z'].filter((_a, i) => this.isHomed(i)).join('');
  }

  isHomed(axis: number): boolean {
    const l = this.limits[axis];
    return l !== undefined && l[0] <= l[1];
  }

  /** Klippy's get_last_move_time: the time the next move would start; marks the toolhead active. */
  getLastMoveTime(): number {
    const now = this.printer.clock.now();
    this.printer.idleTimeout.noteActivity(now);
    this.printTime = Math.max(this.printTime, now);
    return this.printTime;
  }

  /** Queues a checked move to `newpos` at `speed` mm/s; `pathLength` overrides the straight distance (arcs). */
  move(newpos: Coord, speed: number, pathLength?: number): Promise<void> | undefined {
    const start = this.commandedPos;
    const axesD: Coord = [newpos[0] - start[0], newpos[1] - start[1], newpos[2] - start[2], newpos[3] - start[3]];
    // An arc that returns to its start point is still a kinematic move of its path length.
    let moveD = Math.max(Math.hypot(axesD[0], axesD[1], axesD[2]), pathLength ?? 0);
    const isKinematic = moveD > 0;
    if (!isKinematic) moveD = Math.abs(axesD[3]);
    if (!moveD) return undefined;
    const now = this.printer.clock.now();
    let velocity = Math.min(speed, this.maxVelocity);
    if (isKinematic) velocity = Math.min(velocity, this.checkKinematics(newpos, axesD, moveD));
    if (axesD[3]) {
      const hasXY = Boolean(axesD[0] || axesD[1] || pathLength);
      velocity = Math.min(velocity, this.printer.extruder.checkMove({ axesD, moveD, hasXY }, now));
    }
    this.commandedPos = [newpos[0], newpos[1], newpos[2], newpos[3]];
    this.printer.stepperEnable.noteMove(axesD);
    return this.queue(start, this.commandedPos, moveD / velocity, velocity, now);
  }

  /** A move without limit checks (homing travels before the axis has limits). */
  queueRawMove(to: Coord, speed: number): void {
    const from = this.commandedPos;
    const d = Math.hypot(to[0] - from[0], to[1] - from[1], to[2] - from[2]);
    this.commandedPos = [...to];
    if (d > 0) void this.queue(from, this.commandedPos, d / speed, speed, this.printer.clock.now(), false);
  }

  private queue(
    from: Coord,
    to: Coord,
    duration: number,
    velocity: number,
    now: number,
    stall = true,
  ): Promise<void> | undefined {
    this.printer.idleTimeout.noteActivity(now);
    this.prune(now);
    const startAt = Math.max(this.printTime, now);
    const eVelocity = duration > 0 ? (to[3] - from[3]) / duration : 0;
    this.moves.push({ start: startAt, end: startAt + duration, from, to, velocity, eVelocity });
    this.printTime = startAt + duration;
    return stall ? this.stallIfFull(now) : undefined;
  }

  /** Cartesian limit checks (cartesian.py check_move); returns the Z speed cap. */
  private checkKinematics(end: Coord, axesD: Coord, moveD: number): number {
    for (let i = 0; i < 3; i++) {
      const [lo, hi] = this.limits[i] ?? [1, -1];
      const v = end[i] ?? 0;
      if (axesD[i] && (v < lo || v > hi)) {
        throw this.moveError(end, lo > hi ? 'Must home axis first' : 'Move out of range');
      }
    }
    return axesD[2] ? this.maxZVelocity * (moveD / Math.abs(axesD[2])) : Number.POSITIVE_INFINITY;
  }

  private moveError(end: Coord, msg: string): CommandError {
    const [x, y, z, e] = end.map((v) => fixed(v, 3));
    return new CommandError(`${msg}: ${x} ${y} ${z} [${e}]`);
  }

  private stallIfFull(now: number): Promise<void> | undefined {
    const high = Math.max(BUFFER_TIME_HIGH, this.printer.clock.timeScale * MIN_BUFFER_REAL_S);
    const excess = this.printTime - now - high;
    if (excess <= 0) return undefined;
    return this.printer.scheduler.sleep(excess);
  }

  dwell(delay: number): Promise<void> | undefined {
    const start = this.getLastMoveTime();
    this.printTime = start + Math.max(0, delay);
    return this.stallIfFull(this.printer.clock.now());
  }

  async waitMoves(): Promise<void> {
    const { clock, scheduler } = this.printer;
    while (clock.now() < this.printTime) await scheduler.sleepUntil(this.printTime);
  }

  /** True while queued motion (or a dwell) has not finished. */
  isBusy(now: number): boolean {
    return this.printTime > now;
  }

  setPosition(pos: Coord, homingAxes: number[] = []): void {
    this.commandedPos = [...pos];
    for (const axis of homingAxes) {
      this.limits[axis] = [this.axisMin[axis] ?? 0, this.axisMax[axis] ?? 0];
    }
  }

  private prune(now: number): void {
    let i = 0;
    while (i < this.moves.length - 1 && (this.moves[i]?.end ?? 0) < now - HISTORY) i++;
    if (i > 0) this.moves = this.moves.slice(i);
  }

  /** The requested position and velocity at simulated time `t` (motion_report). */
  live(t: number): LiveState {
    for (let i = this.moves.length - 1; i >= 0; i--) {
      const m = this.moves[i];
      if (!m || m.start > t) continue;
      if (t >= m.end) return { position: [...m.to], velocity: 0, eVelocity: 0 };
      const f = (t - m.start) / (m.end - m.start);
      const position = m.from.map((v, k) => v + ((m.to[k] ?? v) - v) * f) as Coord;
      return { position, velocity: m.velocity, eVelocity: m.eVelocity };
    }
    const first = this.moves[0];
    return { position: first ? [...first.from] : [...this.commandedPos], velocity: 0, eVelocity: 0 };
  }

  private cmdM204(gcmd: GCodeCommand): void {
    let accel = gcmd.getFloat('S', null, { above: 0 });
    if (accel === null) {
      const p = gcmd.getFloat('P', null, { above: 0 });
      const t = gcmd.getFloat('T', null, { above: 0 });
      if (p === null || t === null) {
        gcmd.respondInfo(`Invalid M204 command "${gcmd.commandline}"`);
        return;
      }
      accel = Math.min(p, t);
    }
    this.maxAccel = accel;
  }

  private cmdSetVelocityLimit(gcmd: GCodeCommand): void {
    const v = gcmd.getFloat('VELOCITY', null, { above: 0 });
    const a = gcmd.getFloat('ACCEL', null, { above: 0 });
    const scv = gcmd.getFloat('SQUARE_CORNER_VELOCITY', null, { minval: 0 });
    const mcr = gcmd.getFloat('MINIMUM_CRUISE_RATIO', null, { minval: 0, below: 1 });
    if (v !== null) this.maxVelocity = v;
    if (a !== null) this.maxAccel = a;
    if (scv !== null) this.squareCornerVelocity = scv;
    if (mcr !== null) this.minCruiseRatio = mcr;
    if (v === null && a === null && scv === null && mcr === null) {
      gcmd.respondInfo(
        `max_velocity: ${fixed(this.maxVelocity, 6)}\nmax_accel: ${fixed(this.maxAccel, 6)}\n` +
          `minimum_cruise_ratio: ${fixed(this.minCruiseRatio, 6)}\n` +
          `square_corner_velocity: ${fixed(this.squareCornerVelocity, 6)}`,
      );
    }
  }

  getStatus(eventtime: number): JsonObject {
    return {
      homed_axes: this.homedAxes(),
      axis_minimum: [...this.axisMin],
      axis_maximum: [...this.axisMax],
      print_time: this.printTime,
      stalls: 0,
      estimated_print_time: eventtime,
      extruder: 'extruder',
      position: [...this.commandedPos],
      max_velocity: this.maxVelocity,
      max_accel: this.maxAccel,
      minimum_cruise_ratio: this.minCruiseRatio,
      square_corner_velocity: this.squareCornerVelocity,
      // Axes beyond XYZ and their index in position: the extruder is the fourth coordinate.
      extra_axes: { extruder: 3 },
    };
  }
}
