// Seeded generators of bad input for the fuzz test: values of the wrong type, missing and extra
// parameters, huge strings, deep nesting, prototype-polluting keys, path tricks and invalid
// UTF-8, built from an endpoint's declared parameters so every declared name is hit.
import type { ParamKind, ParamsSpec } from '../../src/transport/params.js';

/** mulberry32: a small, fast, seeded PRNG; the same seed gives the same run. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export const PATH_TRICKS = [
  '../../../../etc/passwd',
  '/etc/passwd',
  'gcodes/../../secret',
  '..',
  '.',
  '',
  'a\u0000b.gcode',
  '%2e%2e/%2e%2e/etc/passwd',
  'gcodes_evil/x.gcode',
  'C:\\Windows\\win.ini',
  '~/.ssh/id_rsa',
  'x'.repeat(300) + '.gcode',
  'dir/'.repeat(60) + 'deep.gcode',
  '.moonstate_api_key',
  '\\..\\..\\x',
  'ok.gcode\u202e',
];

const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ''];

export function hugeString(rng: Rng): string {
  return rng.pick(['A', 'é', '\u{1F600}', '\\"', '\u0000']).repeat(rng.pick([10_000, 100_000, 200_000]));
}

/** Nested arrays or objects `depth` deep, as JSON text (JSON.stringify would recurse). */
export function deepJson(rng: Rng, depth: number): string {
  return rng.chance(0.5) ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + 'null' + '}'.repeat(depth);
}

/** Placeholder replaced by deep nesting when the message is serialized. */
export const DEEP = '\u0001DEEP\u0001';

function plausible(rng: Rng, kind: ParamKind, name: string): unknown {
  switch (kind) {
    case 'string':
      return rng.pick(['gcodes', 'config', 'toolhead', 'a.gcode', 'moonstate', name, 'x', '0', 'true']);
    case 'number':
      return rng.pick([0, 1, -1, 1.5, 1e308, -1e308, 1700000000]);
    case 'integer':
      return rng.pick([0, 1, -1, 2 ** 31, 2 ** 53, -(2 ** 53)]);
    case 'boolean':
      return rng.chance(0.5);
    case 'object':
      return rng.pick([{}, { toolhead: null }, { extruder: ['temperature'] }, { a: { b: { c: 1 } } }]);
    case 'array':
      return rng.pick([[], ['a.gcode'], [1, 2], [null]]);
    case 'any':
      return randomValue(rng, 2);
  }
}

/** Any JSON value, shallow unless `depth` allows, now and then something nasty. */
export function randomValue(rng: Rng, depth = 3): unknown {
  switch (rng.int(14)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 3.14, 1e308, -0, 2 ** 63, Number.MAX_SAFE_INTEGER]);
    case 3:
      return rng.pick(['', 'x', 'NaN', 'Infinity', '-1', 'null', '[]', '{}', '\ud800', '\udfff', 'ｇｃｏｄｅｓ']);
    case 4:
      return rng.pick(PATH_TRICKS);
    case 5:
      return rng.chance(0.1) ? hugeString(rng) : 'y'.repeat(rng.int(2000));
    case 6:
      return rng.chance(0.2) ? DEEP : [randomValue(rng, depth - 1)];
    case 7:
      return depth > 0 ? Array.from({ length: rng.int(4) }, () => randomValue(rng, depth - 1)) : [];
    case 8:
    case 9: {
      if (depth <= 0) return {};
      const o: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) o[rng.chance(0.3) ? rng.pick(NASTY_KEYS) : rng.pick(['a', 'toolhead', 'path', 'root'])] = randomValue(rng, depth - 1);
      return o;
    }
    default:
      return rng.pick(['gcodes', 'config', 'a.gcode', 'toolhead', 'extruder']);
  }
}

/**
 * Parameters for an endpoint with `spec`: each declared parameter is left out, given a
 * plausible value or given something random, and extra names are sometimes added.
 */
export function paramsFor(rng: Rng, spec: ParamsSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    const r = rng.next();
    if (r < 0.15) continue;
    out[name] = r < 0.55 ? plausible(rng, s.kind, name) : randomValue(rng);
  }
  if (rng.chance(0.2)) out[rng.chance(0.5) ? rng.pick(NASTY_KEYS) : 'unexpected'] = randomValue(rng);
  return out;
}

/** JSON text of `value` with DEEP placeholders replaced by deep nesting. */
export function toJsonText(rng: Rng, value: unknown): string {
  const text = JSON.stringify(value);
  return text.replaceAll(JSON.stringify(DEEP), () => deepJson(rng, rng.pick([100, 1000, 20_000])));
}

/** Bytes that are not valid UTF-8, spliced into otherwise normal text. */
export function withInvalidUtf8(rng: Rng, text: string): Buffer {
  const cut = rng.int(text.length + 1);
  const bad = rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80, 0x80]]);
  return Buffer.concat([Buffer.from(text.slice(0, cut)), Buffer.from(bad), Buffer.from(text.slice(cut))]);
}

/**
 * Names for the database key space: ordinary ones, the prototype's, dotted paths, unicode in
 * every plane, control characters, LMDB's separators, and names over the key limit.
 */
const DB_NAMES = [
  'mainsail', 'fluidd', 'a', 'b', 'general', 'x-api-key', 'force', 'token', 'value', '0', '1', '',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__',
  'é', 'ｇｃｏｄｅｓ', '\u{1F600}', '\u{10FFFF}', '\uffff', '\ufffe', '\u0000', '\u0001', '\u001e', '\u001f', '\t', ' ', 'a b',
  'ä\u0308', '\u202e', '..', '.', 'a.b', 'moonraker', 'history', 'webcams',
];

export function dbName(rng: Rng): string {
  if (rng.chance(0.03)) return rng.pick(['k', 'é', '\u{1F600}']).repeat(rng.pick([200, 600, 2000]));
  if (rng.chance(0.1)) return rng.pick(DB_NAMES) + rng.pick(DB_NAMES);
  return rng.pick(DB_NAMES);
}

/** A key as clients send it: a dotted string, a list of parts, or something that is no key. */
export function dbKey(rng: Rng): unknown {
  const parts = Array.from({ length: 1 + rng.int(rng.chance(0.1) ? 8 : 3) }, () => dbName(rng));
  switch (rng.int(10)) {
    case 0:
      return parts;
    case 1:
      return rng.pick([null, 5, true, {}, [1], [['a']], [], [null]]);
    default:
      return parts.join('.');
  }
}

/** A value to store: any JSON, now and then deep, huge, or carrying a `__proto__` key (as text). */
export function dbValue(rng: Rng): unknown {
  if (rng.chance(0.05)) return DEEP;
  if (rng.chance(0.02)) return hugeString(rng);
  return randomValue(rng, 3);
}
