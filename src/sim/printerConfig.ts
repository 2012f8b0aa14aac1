// The printer.cfg the virtual printer pretends to have loaded: a plain 235x235x250 cartesian
// with one extruder, a heated bed and a part fan. Objects read their limits from it, and the
// configfile object reports it, so what clients show and how the sim behaves cannot disagree.

import type { JsonObject } from '../shared/klippyProtocol.js';
import {
  END_MACRO_DESC,
  END_MACRO_TEMPLATE,
  START_MACRO_DESC,
  START_MACRO_TEMPLATE,
} from './objects/printMacros.js';

export interface ConfigInputs {
  gcodesPath: string;
}

type Section = [name: string, options: Array<[string, string]>];

function sections(inputs: ConfigInputs): Section[] {
  const stepper = (step: string, dir: string, en: string, endstop: string, rot: string, max: string, speed: string) =>
    [
      ['step_pin', step],
      ['dir_pin', dir],
      ['enable_pin', en],
      ['microsteps', '16'],
      ['rotation_distance', rot],
      ['endstop_pin', endstop],
      ['position_endstop', '0'],
      ['position_max', max],
      ['homing_speed', speed],
    ] as Array<[string, string]>;
  return [
    ['mcu', [['serial', '/dev/serial/by-id/usb-Klipper_stm32f103xe_virtual-if00']]],
    [
      'printer',
      [
        ['kinematics', 'cartesian'],
        ['max_velocity', '300'],
        ['max_accel', '3000'],
        ['max_z_velocity', '15'],
        ['max_z_accel', '100'],
        ['square_corner_velocity', '5.0'],
      ],
    ],
    ['stepper_x', stepper('PB13', '!PB12', '!PB14', '^PC0', '40', '235', '50')],
    ['stepper_y', stepper('PB10', '!PB2', '!PB11', '^PC1', '40', '235', '50')],
    ['stepper_z', stepper('PB0', 'PC5', '!PB1', '^PC2', '8', '250', '8')],
    [
      'extruder',
      [
        ['step_pin', 'PB3'],
        ['dir_pin', '!PB4'],
        ['enable_pin', '!PD1'],
        ['microsteps', '16'],
        ['rotation_distance', '33.500'],
        ['nozzle_diameter', '0.400'],
        ['filament_diameter', '1.750'],
        // Slicer start scripts purge and load filament; stock limits would reject some of them.
        ['max_extrude_only_distance', '150'],
        ['max_extrude_cross_section', '5'],
        ['heater_pin', 'PC8'],
        ['sensor_type', 'EPCOS 100K B57560G104F'],
        ['sensor_pin', 'PA0'],
        ['control', 'pid'],
        ['pid_kp', '21.527'],
        ['pid_ki', '1.063'],
        ['pid_kd', '108.982'],
        ['min_temp', '0'],
        ['max_temp', '300'],
        ['min_extrude_temp', '170'],
      ],
    ],
    [
      'heater_bed',
      [
        ['heater_pin', 'PC9'],
        ['sensor_type', 'EPCOS 100K B57560G104F'],
        ['sensor_pin', 'PC3'],
        ['control', 'pid'],
        ['pid_kp', '54.027'],
        ['pid_ki', '0.770'],
        ['pid_kd', '948.182'],
        ['min_temp', '0'],
        ['max_temp', '120'],
      ],
    ],
    ['fan', [['pin', 'PA8']]],
    ['virtual_sdcard', [['path', inputs.gcodesPath]]],
    ['pause_resume', []],
    ['display_status', []],
    // "RESPOND MSG=x" shows as "// x" in the UI consoles with this setting (Klipper's default is "echo:").
    ['respond', [['default_type', 'command']]],
    ['gcode_arcs', [['resolution', '1.0']]],
    ['idle_timeout', [['timeout', '600']]],
    ...['START_PRINT', 'PRINT_START'].map((n): Section => [
      `gcode_macro ${n}`,
      [
        ['description', START_MACRO_DESC],
        ['gcode', START_MACRO_TEMPLATE],
      ],
    ]),
    ...['END_PRINT', 'PRINT_END'].map((n): Section => [
      `gcode_macro ${n}`,
      [
        ['description', END_MACRO_DESC],
        ['gcode', END_MACRO_TEMPLATE],
      ],
    ]),
  ];
}

// Options a real Klippy also reports in configfile.settings with their defaults.
const DEFAULTS: Record<string, JsonObject> = {
  printer: { minimum_cruise_ratio: 0.5 },
  stepper_x: { position_min: 0, second_homing_speed: 25, homing_retract_dist: 5, full_steps_per_rotation: 200 },
  stepper_y: { position_min: 0, second_homing_speed: 25, homing_retract_dist: 5, full_steps_per_rotation: 200 },
  stepper_z: { position_min: 0, second_homing_speed: 4, homing_retract_dist: 5, full_steps_per_rotation: 200 },
  extruder: { pressure_advance: 0, pressure_advance_smooth_time: 0.04, smooth_time: 1, max_power: 1 },
  heater_bed: { smooth_time: 1, max_power: 1 },
  fan: { max_power: 1, kick_start_time: 0.1, off_below: 0, cycle_time: 0.01 },
  virtual_sdcard: { on_error_gcode: '\n{% if \'heaters\' in printer %}\n   TURN_OFF_HEATERS\n{% endif %}\n' },
  pause_resume: { recover_velocity: 50 },
  mcu: { baud: 250000, restart_method: 'arduino' },
};

function parseValue(raw: string): unknown {
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(raw)) return Number(raw);
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  return raw;
}

export class PrinterConfig {
  private readonly raw = new Map<string, Map<string, string>>();

  constructor(inputs: ConfigInputs) {
    for (const [name, options] of sections(inputs)) this.raw.set(name, new Map(options));
  }

  get(section: string, option: string, dflt?: string): string {
    const v = this.raw.get(section)?.get(option);
    if (v !== undefined) return v;
    if (dflt !== undefined) return dflt;
    throw new Error(`Option '${option}' in section '${section}' must be specified`);
  }

  getFloat(section: string, option: string, dflt?: number): number {
    const v = this.raw.get(section)?.get(option);
    if (v !== undefined) return Number(v);
    const d = DEFAULTS[section]?.[option];
    if (typeof d === 'number') return d;
    if (dflt !== undefined) return dflt;
    throw new Error(`Option '${option}' in section '${section}' must be specified`);
  }

  /** configfile.config: raw strings, as Klippy read them. */
  rawConfig(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [name, opts] of this.raw) out[name] = Object.fromEntries(opts);
    return out;
  }

  /** configfile.settings: parsed values plus defaults, lower-cased keys. */
  settings(): Record<string, JsonObject> {
    const out: Record<string, JsonObject> = {};
    for (const [name, opts] of this.raw) {
      const parsed: JsonObject = { ...(DEFAULTS[name] ?? {}) };
      for (const [k, v] of opts) parsed[k.toLowerCase()] = parseValue(v);
      out[name.toLowerCase()] = parsed;
    }
    return out;
  }

  /** The printer.cfg text (written to configFile for Moonraker's config root). */
  text(): string {
    const lines = ['# Generated by moonstate-sim: a virtual 235x235x250 cartesian printer.', ''];
    for (const [name, opts] of this.raw) {
      lines.push(`[${name}]`);
      for (const [k, v] of opts) {
        // Multi-line values (macro bodies) continue on indented lines, as in any printer.cfg.
        lines.push(v.includes('\n') ? `${k}:\n  ${v.split('\n').join('\n  ')}` : `${k}: ${v}`);
      }
      lines.push('');
    }
    return lines.join('\n');
  }
}
