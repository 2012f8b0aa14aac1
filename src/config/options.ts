// The kinds of option a config section can declare. Each kind parses the raw INI string and says
// clearly what was wrong, so a bad value stops startup with a message that names the option.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

export interface ParseContext {
  /** Folder of the config file: relative paths resolve against it. */
  configDir: string;
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

export function expandPath(raw: string, ctx: ParseContext): string {
  const p = raw.startsWith('~') ? homedir() + raw.slice(1) : raw;
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
