// Declared parameters of an endpoint, and the one routine that reads them from either transport.
// HTTP query strings carry only strings, JSON-RPC carries JSON types; both are coerced to the
// declared type here, so handlers receive checked values and never parse arguments themselves.
import { invalidParams } from '../shared/errors.js';

export type ParamKind = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';

export interface ParamSpec<T = unknown, Required extends boolean = boolean> {
  readonly kind: ParamKind;
  readonly required: Required;
  readonly default?: T;
  /** Extra check after the type; returns an error text or undefined. */
  // Method syntax on purpose: it keeps specs of different T assignable to ParamsSpec.
  check?(value: T): string | undefined;
  /** Phantom: carries T for type inference only. */
  readonly __type?: T;
}

export type ParamsSpec = Record<string, ParamSpec>;

type ValueOf<S> = S extends ParamSpec<infer T, infer R> ? (R extends true ? T : T | undefined) : never;
export type ParamsOf<P extends ParamsSpec> = { [K in keyof P]: ValueOf<P[K]> };

interface Opts<T> {
  default?: T;
  check?: (value: T) => string | undefined;
}

function make<T>(kind: ParamKind) {
  function f(opts: Opts<T> & { required: true }): ParamSpec<T, true>;
  function f(opts: Opts<T> & { default: T }): ParamSpec<T, true>;
  function f(opts?: Opts<T>): ParamSpec<T, false>;
  function f(opts: Opts<T> & { required?: boolean } = {}): ParamSpec<T, boolean> {
    return { kind, required: opts.required ?? opts.default !== undefined, ...opts };
  }
  return f;
}

export const param = {
  string: make<string>('string'),
  number: make<number>('number'),
  integer: make<number>('integer'),
  boolean: make<boolean>('boolean'),
  object: make<Record<string, unknown>>('object'),
  array: make<unknown[]>('array'),
  any: make<unknown>('any'),
};

function coerce(name: string, kind: ParamKind, value: unknown): unknown {
  const bad = () => invalidParams(`Invalid argument type for "${name}": expected ${kind}`);
  switch (kind) {
    case 'any':
      return value;
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw bad();
    case 'number':
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n) || (kind === 'integer' && !Number.isInteger(n))) throw bad();
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const v = value.toLowerCase();
        if (v === 'true') return true;
        if (v === 'false') return false;
      }
      if (value === 1 || value === 0) return value === 1;
      throw bad();
    case 'object':
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
      throw bad();
    case 'array':
      if (Array.isArray(value)) return value;
      throw bad();
  }
}

/**
 * Checks `raw` against `spec`. Unknown arguments are ignored (clients send extras such as
 * `connection_id` or `token`); missing required ones and wrong types are invalid params.
 */
export function readParams<P extends ParamsSpec>(spec: P, raw: Record<string, unknown>): ParamsOf<P> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    // Own arguments only: a name the client did not send must not be found on a prototype.
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (value === undefined || (value === null && s.kind !== 'any')) {
      if (s.default !== undefined) out[name] = s.default;
      else if (s.required) throw invalidParams(`Missing argument "${name}"`);
      continue;
    }
    const v = coerce(name, s.kind, value);
    const problem = s.check?.(v);
    if (problem !== undefined) throw invalidParams(`Invalid argument "${name}": ${problem}`);
    out[name] = v;
  }
  return out as ParamsOf<P>;
}
