// A scenario: a named list of steps that drive a sandbox printer (virtual Klippy + real server)
// the way a user and a UI would, written as JSON or YAML. Parsing checks every step and names
// the file and step of any mistake before anything runs.
//
//   name: pause and resume          # optional
//   timeScale: 20                   # virtual Klippy physics speed-up (default 20)
//   steps:                          # or the file is just the list of steps
//     - connect: {}                 # (re)start Klippy if it was disconnected; wait until ready
//     - upload: {file: square.gcode}          # a file (relative to the scenario) into gcodes/
//     - upload: {name: a.gcode, gcode: "G28"} # or inline gcode
//     - gcode: M109 S200            # printer.gcode.script; fails the scenario on an error
//     - print: square.gcode         # SDCARD_PRINT_FILE
//     - pause: {}                   # PAUSE; resume: {} RESUME; cancel: {} CANCEL_PRINT
//     - klippy: restart             # disconnect | restart | firmware_restart | shutdown; done
//                                   # once the server has seen Klippy go (or shut down)
//     - wait: {machine: printJob, state: paused, timeout: 10}   # seconds; state or sub-state
//     - sleep: 0.5                  # seconds
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export type KlippyAction = 'disconnect' | 'restart' | 'firmware_restart' | 'shutdown';

export type Step =
  | { kind: 'connect'; timeout: number }
  | { kind: 'upload'; name: string; content: string }
  | { kind: 'gcode'; script: string }
  | { kind: 'print'; file: string }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'cancel' }
  | { kind: 'klippy'; action: KlippyAction }
  | { kind: 'wait'; machine: string; state: string; timeout: number }
  | { kind: 'sleep'; seconds: number };

export interface Scenario {
  name: string;
  /** Where it was read from, if from a file. */
  file: string | undefined;
  timeScale: number;
  steps: Step[];
}

export class ScenarioError extends Error {}

const KLIPPY_ACTIONS: readonly KlippyAction[] = ['disconnect', 'restart', 'firmware_restart', 'shutdown'];
const DEFAULT_WAIT = 10;

/** One line describing a step, for progress and error messages. */
export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'upload':
      return `upload ${s.name}`;
    case 'gcode':
      return `gcode ${JSON.stringify(s.script.length > 40 ? s.script.slice(0, 40) + '…' : s.script)}`;
    case 'print':
      return `print ${s.file}`;
    case 'klippy':
      return `klippy ${s.action}`;
    case 'wait':
      return `wait ${s.machine} ${s.state}`;
    case 'sleep':
      return `sleep ${s.seconds}`;
    default:
      return s.kind;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function positive(v: unknown, what: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new ScenarioError(`${what} must be a positive number of seconds`);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ScenarioError(`${what} must be a non-empty string`);
  return v;
}

function noExtraKeys(o: Obj, allowed: string[], what: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length) throw new ScenarioError(`${what}: unknown ${extra.length > 1 ? 'keys' : 'key'} ${extra.join(', ')} (allowed: ${allowed.join(', ') || 'none'})`);
}

function emptyArgs(v: unknown, kind: string): void {
  if (v === null || v === undefined || (isObj(v) && Object.keys(v).length === 0)) return;
  throw new ScenarioError(`${kind} takes no arguments: write "${kind}: {}"`);
}

function parseStep(raw: unknown, baseDir: string): Step {
  if (!isObj(raw) || Object.keys(raw).length !== 1) {
    throw new ScenarioError(`a step is an object with one key, the step's kind (connect, upload, gcode, print, pause, resume, cancel, klippy, wait, sleep); got ${JSON.stringify(raw)}`);
  }
  const [kind, arg] = Object.entries(raw)[0]!;
  switch (kind) {
    case 'connect': {
      if (arg === null || arg === undefined) return { kind, timeout: 20 };
      if (!isObj(arg)) throw new ScenarioError('connect takes {} or {timeout: seconds}');
      noExtraKeys(arg, ['timeout'], 'connect');
      return { kind, timeout: arg.timeout === undefined ? 20 : positive(arg.timeout, 'connect.timeout') };
    }
    case 'upload': {
      if (!isObj(arg)) throw new ScenarioError('upload takes {file: PATH} or {name: NAME, gcode: TEXT}');
      noExtraKeys(arg, ['file', 'name', 'gcode'], 'upload');
      if (arg.file !== undefined && arg.gcode !== undefined) throw new ScenarioError('upload: give file or gcode, not both');
      if (arg.gcode !== undefined) {
        if (typeof arg.gcode !== 'string') throw new ScenarioError('upload.gcode must be the file\'s text');
        return { kind, name: checkName(str(arg.name, 'upload.name (with inline gcode)')), content: arg.gcode };
      }
      const path = resolve(baseDir, str(arg.file, 'upload.file'));
      let content: string;
      try {
        content = readFileSync(path, 'utf8');
      } catch (err) {
        throw new ScenarioError(`upload: cannot read ${path}: ${(err as Error).message}`);
      }
      return { kind, name: checkName(arg.name === undefined ? basename(path) : str(arg.name, 'upload.name')), content };
    }
    case 'gcode':
      if (isObj(arg)) {
        noExtraKeys(arg, ['script'], 'gcode');
        return { kind, script: str(arg.script, 'gcode.script') };
      }
      return { kind, script: str(arg, 'gcode') };
    case 'print':
      if (isObj(arg)) {
        noExtraKeys(arg, ['file'], 'print');
        return { kind, file: checkName(str(arg.file, 'print.file')) };
      }
      return { kind, file: checkName(str(arg, 'print')) };
    case 'pause':
    case 'resume':
    case 'cancel':
      emptyArgs(arg, kind);
      return { kind };
    case 'klippy': {
      const action = isObj(arg) ? arg.action : arg;
      if (!KLIPPY_ACTIONS.includes(action as KlippyAction)) throw new ScenarioError(`klippy takes one of ${KLIPPY_ACTIONS.join(', ')}; got ${JSON.stringify(action)}`);
      return { kind, action: action as KlippyAction };
    }
    case 'wait': {
      if (!isObj(arg)) throw new ScenarioError('wait takes {machine: NAME, state: STATE, timeout?: seconds}');
      noExtraKeys(arg, ['machine', 'state', 'timeout'], 'wait');
      return {
        kind,
        machine: str(arg.machine, 'wait.machine'),
        state: str(arg.state, 'wait.state'),
        timeout: arg.timeout === undefined ? DEFAULT_WAIT : positive(arg.timeout, 'wait.timeout'),
      };
    }
    case 'sleep':
      return { kind, seconds: positive(arg, 'sleep', true) };
    default:
      throw new ScenarioError(`unknown step "${kind}" (connect, upload, gcode, print, pause, resume, cancel, klippy, wait, sleep)`);
  }
}

/** A file name in the gcodes folder: no folders climbing out, nothing hidden. */
function checkName(name: string): string {
  const parts = name.split('/');
  if (name.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.'))) {
    throw new ScenarioError(`"${name}" is not a file name inside the gcodes folder`);
  }
  return name;
}

/** Parses a scenario from text; `file` (if any) names it in errors and anchors relative paths. */
export function parseScenario(text: string, file?: string): Scenario {
  const where = file ?? 'scenario';
  let doc: unknown;
  try {
    doc = file && extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ScenarioError(`${where}: not valid ${file?.endsWith('.json') ? 'JSON' : 'YAML/JSON'}: ${(err as Error).message}`);
  }
  const top: Obj = Array.isArray(doc) ? { steps: doc } : isObj(doc) ? doc : {};
  if (!Array.isArray(top.steps) || top.steps.length === 0) throw new ScenarioError(`${where}: expected a list of steps, or an object with "steps"`);
  try {
    noExtraKeys(top, ['name', 'timeScale', 'steps'], 'the scenario');
  } catch (err) {
    throw new ScenarioError(`${where}: ${(err as Error).message}`);
  }
  const timeScale = top.timeScale === undefined ? 20 : top.timeScale;
  if (typeof timeScale !== 'number' || !(timeScale > 0) || timeScale > 1_000_000) throw new ScenarioError(`${where}: timeScale must be a number above 0`);
  const baseDir = file ? dirname(resolve(file)) : process.cwd();
  const steps = top.steps.map((raw, i) => {
    try {
      return parseStep(raw, baseDir);
    } catch (err) {
      throw new ScenarioError(`${where}: step ${i + 1}: ${(err as Error).message}`);
    }
  });
  const name = typeof top.name === 'string' ? top.name : file ? basename(file, extname(file)) : 'scenario';
  return { name, file, timeScale, steps };
}

export function readScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseScenario(text, file);
}
