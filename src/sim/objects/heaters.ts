// Heaters (extras/heaters.py): each heater's target/temperature/power, the "heaters" object
// listing them, M105, TEMPERATURE_WAIT, TURN_OFF_HEATERS and SET_HEATER_TEMPERATURE. Waiting
// commands hold the gcode mutex and print an M105-style line every simulated second, as Klippy does.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import { CommandError } from '../gcode/commandError.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import { fixed } from '../gcode/pyValues.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';
import { AMBIENT_TEMP, ThermalModel, type ThermalParams } from './thermalModel.js';

// Klipper's ControlPID.check_busy: settled when within 1 C and moving slower than 0.1 C/s.
const PID_SETTLE_DELTA = 1;
const PID_SETTLE_SLOPE = 0.1;

/** Temperatures that survive a RESTART (the metal does not cool instantly). */
export type ThermalCarry = Map<string, { temperature: number; at: number }>;

export class Heater implements StatusSource {
  target = 0;
  readonly minTemp: number;
  readonly maxTemp: number;
  readonly minExtrudeTemp: number;
  private readonly model: ThermalModel;
  private enabled = true;

  constructor(
    private readonly printer: Printer,
    readonly name: string,
    readonly gcodeId: string,
    params: ThermalParams,
  ) {
    const cfg = printer.config;
    this.minTemp = cfg.getFloat(name, 'min_temp');
    this.maxTemp = cfg.getFloat(name, 'max_temp');
    this.minExtrudeTemp = cfg.getFloat(name, 'min_extrude_temp', 170);
    const now = printer.clock.now();
    const carried = printer.thermal.get(name);
    this.model = new ThermalModel(params, carried?.temperature ?? AMBIENT_TEMP, carried?.at ?? now);
    this.model.advance(now, 0, false);
    printer.events.on('shutdown', () => {
      // The MCU drops every heater output on shutdown; the target is still reported.
      this.update(printer.clock.now());
      this.enabled = false;
    });
    printer.gcode.registerMuxCommand(
      'SET_HEATER_TEMPERATURE',
      'HEATER',
      name,
      (g) => printer.heaters.setTemperature(this, g.getFloat('TARGET', 0)),
      'Sets a heater temperature',
    );
  }

  private update(now: number): void {
    this.model.advance(now, this.target, this.enabled);
  }

  setTemp(degrees: number): void {
    if (degrees && (degrees < this.minTemp || degrees > this.maxTemp)) {
      throw new CommandError(
        `Requested temperature (${fixed(degrees, 1)}) out of range (${fixed(this.minTemp, 1)}:${fixed(this.maxTemp, 1)})`,
      );
    }
    this.update(this.printer.clock.now());
    this.target = degrees;
  }

  getTemp(now: number): [number, number] {
    this.update(now);
    return [this.model.temperature, this.target];
  }

  checkBusy(now: number): boolean {
    this.update(now);
    return (
      Math.abs(this.target - this.model.temperature) > PID_SETTLE_DELTA ||
      Math.abs(this.model.slope()) > PID_SETTLE_SLOPE
    );
  }

  canExtrude(now: number): boolean {
    this.update(now);
    return this.model.temperature >= this.minExtrudeTemp;
  }

  /** Where the heat goes when this run ends, for the next run to start from. */
  carry(now: number): { temperature: number; at: number } {
    this.update(now);
    return { temperature: this.model.temperature, at: now };
  }

  getStatus(eventtime: number): JsonObject {
    this.update(eventtime);
    return {
      temperature: Math.round(this.model.temperature * 100) / 100,
      target: this.target,
      power: Math.round(this.model.power * 1000) / 1000,
    };
  }
}

export class PrinterHeaters implements StatusSource {
  private readonly heaters = new Map<string, Heater>();
  private readonly availableHeaters: string[] = [];
  private readonly availableSensors: string[] = [];
  private hasStarted = false;

  constructor(private readonly printer: Printer) {
    const gcode = printer.gcode;
    gcode.registerCommand('TURN_OFF_HEATERS', () => this.turnOffAll(), { desc: 'Turn off all heaters' });
    gcode.registerCommand('M105', (g) => g.respondRaw(this.tempLine(printer.clock.now())), { whenNotReady: true });
    gcode.registerCommand('TEMPERATURE_WAIT', (g) => this.cmdTemperatureWait(g), {
      desc: 'Wait for a temperature on a sensor',
    });
    printer.events.on('ready', () => (this.hasStarted = true));
    printer.events.on('gcode:request_restart', () => this.turnOffAll());
  }

  add(heater: Heater): void {
    this.heaters.set(heater.name, heater);
    this.availableHeaters.push(heater.name);
    this.availableSensors.push(heater.name);
  }

  all(): Heater[] {
    return [...this.heaters.values()];
  }

  turnOffAll(): void {
    for (const h of this.heaters.values()) h.setTemp(0);
  }

  /** "B:60.0 /60.0 T0:200.0 /200.0", sorted by gcode id like Klippy's M105. */
  tempLine(now: number): string {
    if (!this.hasStarted) return 'T:0';
    const parts = [...this.heaters.values()]
      .sort((a, b) => (a.gcodeId < b.gcodeId ? -1 : a.gcodeId > b.gcodeId ? 1 : 0))
      .map((h) => {
        const [cur, target] = h.getTemp(now);
        return `${h.gcodeId}:${fixed(cur, 1)} /${fixed(target, 1)}`;
      });
    return parts.length ? parts.join(' ') : 'T:0';
  }

  /** M104/M109/M140/M190/SET_HEATER_TEMPERATURE: set, and optionally wait like Klippy. */
  async setTemperature(heater: Heater, temp: number, wait = false): Promise<void> {
    this.printer.toolhead.getLastMoveTime();
    heater.setTemp(temp);
    if (wait && temp) await this.waitForTemperature(heater);
  }

  private async waitForTemperature(heater: Heater): Promise<void> {
    const { printer } = this;
    let eventtime = printer.clock.now();
    while (!printer.inShutdown && heater.checkBusy(eventtime)) {
      printer.toolhead.getLastMoveTime();
      printer.gcode.respondRaw(this.tempLine(eventtime));
      await printer.scheduler.sleep(1);
      eventtime = printer.clock.now();
    }
  }

  private async cmdTemperatureWait(gcmd: GCodeCommand): Promise<void> {
    const sensor = gcmd.get('SENSOR');
    if (!this.availableSensors.includes(sensor)) throw gcmd.error(`Unknown sensor '${sensor}'`);
    const min = gcmd.getFloat('MINIMUM', Number.NEGATIVE_INFINITY);
    const max = gcmd.getFloat('MAXIMUM', Number.POSITIVE_INFINITY, { above: min });
    if (min === Number.NEGATIVE_INFINITY && max === Number.POSITIVE_INFINITY) {
      throw gcmd.error("Error on 'TEMPERATURE_WAIT': missing MINIMUM or MAXIMUM.");
    }
    const heater = this.heaters.get(sensor);
    if (!heater) return;
    const { printer } = this;
    let eventtime = printer.clock.now();
    while (!printer.inShutdown) {
      const [temp] = heater.getTemp(eventtime);
      if (temp >= min && temp <= max) return;
      printer.toolhead.getLastMoveTime();
      gcmd.respondRaw(this.tempLine(eventtime));
      await printer.scheduler.sleep(1);
      eventtime = printer.clock.now();
    }
  }

  getStatus(): JsonObject {
    return {
      available_heaters: [...this.availableHeaters],
      available_sensors: [...this.availableSensors],
      available_monitors: [],
    };
  }
}
