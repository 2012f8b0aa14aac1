// The kinds of option a config section can declare. Each kind parses the raw INI string and says
// clearly what was wrong, so a bad value stops startup with a message that names the option.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

export interface ParseContext {
  /** Folder of the config file: relative paths resolve against it. */
  configDir: string;
  /** `{data_path}` in a path option (Moonraker renders path options as templates with it). */
  dataPath?: string;
}

export interface OptionSpec<T> {
  readonly kind: string;
  readonly defaultValue: () => T;
  parse(raw: string, ctx: ParseContext): T;
}

export class OptionValueError extends Error {}

function spec<T>(kind: string, defaultValue: () => T, parse: (raw: string, ctx: ParseContext) => T): OptionSpec<T> {
  return { kind, defaultValue, parse };
}

// Moonraker renders path options as Jinja templates with `{ ... }` delimiters whose only
// variable is data_path; we expand that one and refuse any other template rather than guess.
const TEMPLATE = /\{\s*([^{}]*?)\s*\}/g;

export function expandTemplate(raw: string, ctx: ParseContext): string {
  return raw.replace(TEMPLATE, (_all, name: string) => {
    if (name === 'data_path' && ctx.dataPath !== undefined) return ctx.dataPath;
    throw new OptionValueError(`unknown template {${name}} (only {data_path} is known)`);
  });
}

export function expandPath(raw: string, ctx: ParseContext): string {
  const t = expandTemplate(raw.trim(), ctx);
  const p = t === '~' || t.startsWith('~/') ? homedir() + t.slice(1) : t;
  return isAbsolute(p) ? resolve(p) : resolve(ctx.configDir, p);
}

function splitList(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function readEntry<T>(item: (entry: string) => T, entry: string): T {
  try {
    return item(entry);
  } catch (err) {
    throw new OptionValueError((err as Error).message);
  }
}

export const opt = {
  string: (def: string) => spec('string', () => def, (raw) => raw),
  optionalString: () => spec<string | undefined>('string', () => undefined, (raw) => raw),
  int(def: number, min = -Infinity, max = Infinity) {
    return spec('integer', () => def, (raw) => {
      if (!/^[-+]?\d+$/.test(raw)) throw new OptionValueError(`"${raw}" is not a whole number`);
      const n = Number(raw);
      if (n < min || n > max) throw new OptionValueError(`${n} is outside ${min}..${max}`);
      return n;
    });
  },
  float(def: number, min = -Infinity, max = Infinity, { exclusiveMin = false } = {}) {
    return spec('number', () => def, (raw) => {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new OptionValueError(`"${raw}" is not a number`);
      if (n < min || n > max || (exclusiveMin && n === min)) {
        throw new OptionValueError(`${n} is outside ${exclusiveMin ? '(' : '['}${min}..${max}]`);
      }
      return n;
    });
  },
  bool: (def: boolean) =>
    spec('boolean', () => def, (raw) => {
      const v = raw.toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(v)) return true;
      if (['false', 'no', 'off', '0'].includes(v)) return false;
      throw new OptionValueError(`"${raw}" is not true or false`);
    }),
  path: (def: string) => spec('path', () => def, expandPath),
  optionalPath: () => spec<string | undefined>('path', () => undefined, expandPath),
  /** One entry per line (configparser's multi-line value) or comma separated. */
  list: (def: string[] = []) => spec('list', () => [...def], splitList),
  /**
   * A list whose entries `item` reads; an entry it rejects (by throwing) stops startup with
   * its message. `undefined` when the option is absent, so "not set" differs from "empty".
   */
  optionalListOf<T>(item: (entry: string) => T) {
    return spec<T[] | undefined>('list', () => undefined, (raw) => splitList(raw).map((e) => readEntry(item, e)));
  },
  listOf<T>(item: (entry: string) => T) {
    return spec<T[]>('list', () => [], (raw) => splitList(raw).map((e) => readEntry(item, e)));
  },
  pattern(re: RegExp, what: string, def: string) {
    return spec('string', () => def, (raw) => {
      if (!re.test(raw)) throw new OptionValueError(`"${raw}" is not ${what}`);
      return raw;
    });
  },
  oneOfInts(choices: readonly number[], def: number) {
    return spec('integer', () => def, (raw) => {
      const n = Number(raw);
      if (!/^[-+]?\d+$/.test(raw.trim()) || !choices.includes(n)) throw new OptionValueError(`"${raw}" is not one of ${choices.join(', ')}`);
      return n;
    });
  },
  oneOf<T extends string>(choices: readonly T[], def: T) {
    return spec<T>('choice', () => def, (raw) => {
      const v = raw.toLowerCase();
      if (!(choices as readonly string[]).includes(v)) {
        throw new OptionValueError(`"${raw}" is not one of ${choices.join(', ')}`);
      }
      return v as T;
    });
  },
};
