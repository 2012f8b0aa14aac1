// The printer.cfg the virtual printer pretends to have loaded: a plain 235x235x250 cartesian
// with one extruder, a heated bed and a part fan. Objects read their limits from it, and the
// configfile object reports it, so what clients show and how the sim behaves cannot disagree.

import type { JsonObject } from '../shared/klippyProtocol.js';
import { NATIVE_MACROS } from './objects/gcodeMacros.js';

/** printer.cfg as Klippy read it: section name → option → raw string (configfile.config). */
export type RawConfig = Record<string, Record<string, string>>;

export interface ConfigInputs {
  gcodesPath: string;
  /**
   * A whole printer.cfg to load instead of the built-in one (a real printer's configfile.config,
   * say); its virtual_sdcard path is replaced by gcodesPath, where the sim's files are.
   */
  sections?: RawConfig | undefined;
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
    [
      'heater_fan hotend_fan',
      [
        ['pin', 'PB15'],
        ['heater', 'extruder'],
        ['heater_temp', '50.0'],
      ],
    ],
    ['virtual_sdcard', [['path', inputs.gcodesPath]]],
    ['pause_resume', []],
    ['display_status', []],
    // "RESPOND MSG=x" shows as "// x" in the UI consoles with this setting (Klipper's default is "echo:").
    ['respond', [['default_type', 'command']]],
    ['gcode_arcs', [['resolution', '1.0']]],
    ['idle_timeout', [['timeout', '600']]],
    // What Mainsail and Fluidd check for (they warn without them): PAUSE, RESUME and
    // CANCEL_PRINT as macros over pause_resume's commands, with virtual_sdcard, pause_resume
    // and display_status above. The print start/end macros serve slicer output.
    ...Object.entries(NATIVE_MACROS).map(([name, macro]): Section => [
      `gcode_macro ${name}`,
      [
        ['description', macro.description],
        ...(macro.renameExisting ? [['rename_existing', macro.renameExisting] as [string, string]] : []),
        ['gcode', macro.template],
      ],
    ]),
  ];
}

// Options a real Klippy also reports in configfile.settings with their defaults (as today's
// Klipper reports them), by section kind; `o` holds the options the file gave, parsed.
const TURN_OFF_HEATERS = "\n{% if 'heaters' in printer %}\n   TURN_OFF_HEATERS\n{% endif %}\n";
const heaterDefaults = (o: JsonObject): JsonObject => ({
  pullup_resistor: 4700,
  inline_resistor: 0,
  min_extrude_temp: 170,
  max_power: 1,
  smooth_time: 1,
  ...(o.control === 'watermark' ? { max_delta: 2 } : {}),
  pwm_cycle_time: 0.1,
});
const fanDefaults = { max_power: 1, kick_start_time: 0.1, off_below: 0, cycle_time: 0.01, hardware_pwm: false };
const stepperDefaults = (o: JsonObject): JsonObject => {
  const speed = typeof o.homing_speed === 'number' ? o.homing_speed : 5;
  return {
    position_min: 0,
    homing_speed: speed,
    second_homing_speed: speed / 2,
    homing_retract_speed: speed,
    homing_retract_dist: 5,
    homing_positive_dir: false,
    full_steps_per_rotation: 200,
    gear_ratio: [],
  };
};
function defaultsFor(section: string, o: JsonObject): JsonObject {
  const kind = section.split(' ')[0]!;
  if (/^stepper_[xyz]$/.test(section)) return stepperDefaults(o);
  switch (kind) {
    case 'mcu':
      return { baud: 250000, restart_method: 'arduino' };
    case 'printer':
      return { minimum_cruise_ratio: 0.5, square_corner_velocity: 5 };
    case 'extruder': {
      const nozzle = typeof o.nozzle_diameter === 'number' ? o.nozzle_diameter : 0.4;
      const filament = typeof o.filament_diameter === 'number' ? o.filament_diameter : 1.75;
      const crossSection = 4 * nozzle * nozzle;
      // Klippy derives the extrude-only limits from the printer's, scaled to filament length.
      const ratio = crossSection / (Math.PI * (filament / 2) ** 2);
      return {
        ...heaterDefaults(o),
        max_extrude_cross_section: crossSection,
        max_extrude_only_velocity: 300 * ratio,
        max_extrude_only_accel: 3000 * ratio,
        max_extrude_only_distance: 50,
        instantaneous_corner_velocity: 1,
        pressure_advance: 0,
        pressure_advance_smooth_time: 0.04,
        ...stepperDefaults(o),
      };
    }
    case 'heater_bed':
      return heaterDefaults(o);
    case 'verify_heater':
      return { hysteresis: 5, max_error: 120, heating_gain: 2, check_gain_time: section.endsWith('heater_bed') ? 60 : 20 };
    case 'fan':
      return { ...fanDefaults, shutdown_speed: 0 };
    case 'heater_fan':
      return { heater: ['extruder'], heater_temp: 50, ...fanDefaults, shutdown_speed: 1, fan_speed: 1 };
    case 'virtual_sdcard':
      return { on_error_gcode: TURN_OFF_HEATERS };
    case 'pause_resume':
      return { recover_velocity: 50 };
    case 'idle_timeout':
      return { timeout: 600, gcode: `${TURN_OFF_HEATERS}M84\n` };
    case 'respond':
      return { default_type: 'echo', default_prefix: 'echo:' };
    case 'gcode_arcs':
      return { resolution: 1 };
    case 'force_move':
      return { enable_force_move: false };
    case 'gcode_macro':
      return { description: 'G-Code macro' };
    default:
      return {};
  }
}

/** Options Klippy reads as lists: reported as JSON arrays. */
const LIST_OPTIONS = new Set(['heater_fan.heater']);

function parseValue(raw: string): unknown {
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(raw)) return Number(raw);
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  return raw;
}

/** First words of the printer.cfg this printer writes: how it knows a file is its own to rewrite. */
export const GENERATED_HEADER = '# Generated by moonstate-sim:';

export class PrinterConfig {
  private readonly raw = new Map<string, Map<string, string>>();

  constructor(inputs: ConfigInputs) {
    const given = inputs.sections;
    const list: Section[] = given
      ? Object.entries(given).map(([name, opts]) => [
          name,
          Object.entries(opts).map(([k, v]): [string, string] =>
            name === 'virtual_sdcard' && k === 'path' ? [k, inputs.gcodesPath] : [k, v],
          ),
        ])
      : sections(inputs);
    for (const [name, options] of list) this.raw.set(name, new Map(options));
  }

  has(section: string): boolean {
    return this.raw.has(section);
  }

  /** Section names in file order (Klippy creates printer objects in this order). */
  sectionNames(): string[] {
    return [...this.raw.keys()];
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
    const d = this.settingsOf(section)[option];
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
    for (const name of this.raw.keys()) out[name.toLowerCase()] = this.settingsOf(name);
    return out;
  }

  private settingsOf(section: string): JsonObject {
    const given: JsonObject = {};
    const kind = section.split(' ')[0]!;
    for (const [k, v] of this.raw.get(section) ?? []) {
      const key = k.toLowerCase();
      given[key] = LIST_OPTIONS.has(`${kind}.${key}`) ? v.split(',').map((x) => x.trim()) : parseValue(v);
    }
    return { ...defaultsFor(section, given), ...given };
  }

  /** The printer.cfg text (written to configFile for Moonraker's config root). */
  text(): string {
    const lines = [`${GENERATED_HEADER} a virtual 235x235x250 cartesian printer.`, ''];
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
