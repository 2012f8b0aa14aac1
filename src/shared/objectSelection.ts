// Pure helpers over "which objects and fields" selections, used wherever status is requested,
// merged, filtered or answered: the subscription hub, the query endpoint and the HTTP parser.
// Object and field names come from clients, so lookups use Object.hasOwn: `constructor` or
// `toString` must read as absent, not as Object.prototype's members. `__proto__` is refused as a
// name outright (assigning it would replace a record's prototype, not add an entry).
import type { JsonObject, ObjectSelection } from './klippyProtocol.js';

const has = (o: object, key: string) => Object.hasOwn(o, key);

/** Union of several selections: `null` (all fields) wins over any list. */
export function unionSelections(selections: Iterable<ObjectSelection>): ObjectSelection {
  const out: ObjectSelection = {};
  for (const sel of selections) {
    for (const [obj, fields] of Object.entries(sel)) {
      if (!has(out, obj)) out[obj] = fields === null ? null : [...fields];
      else {
        const have = out[obj];
        if (have === null || have === undefined) continue;
        if (fields === null) out[obj] = null;
        else for (const f of fields) if (!have.includes(f)) have.push(f);
      }
    }
  }
  for (const fields of Object.values(out)) fields?.sort();
  return out;
}

export function sameSelection(a: ObjectSelection, b: ObjectSelection): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => {
    const fa = a[k];
    const fb = b[k];
    if (fa === null || fb === null) return fa === fb;
    if (fa === undefined || fb === undefined) return false;
    const sa = [...fa].sort();
    const sb = [...fb].sort();
    return sa.length === sb.length && sa.every((f, i) => f === sb[i]);
  });
}

/** Does `outer` ask for at least everything `inner` asks for? */
export function selectionCovers(outer: ObjectSelection, inner: ObjectSelection): boolean {
  return Object.entries(inner).every(([obj, fields]) => {
    if (!has(outer, obj)) return false;
    const have = outer[obj];
    if (have === null) return true;
    if (fields === null || have === undefined) return false;
    return fields.every((f) => have.includes(f));
  });
}

/**
 * A selection prepared for filtering many updates quickly: per object, `null` for every field
 * or the set of fields wanted.
 */
export type CompiledSelection = Map<string, Set<string> | null>;

export function compileSelection(sel: ObjectSelection): CompiledSelection {
  const out: CompiledSelection = new Map();
  for (const [obj, fields] of Object.entries(sel)) out.set(obj, fields === null ? null : new Set(fields));
  return out;
}

/**
 * The part of `status` that `sel` asks for; objects with nothing left are omitted.
 * Returns undefined when nothing is left, so callers can skip sending.
 */
export function pickStatus(
  status: Record<string, JsonObject>,
  sel: CompiledSelection,
): Record<string, JsonObject> | undefined {
  let out: Record<string, JsonObject> | undefined;
  for (const [obj, fields] of sel) {
    const values = has(status, obj) ? status[obj] : undefined;
    if (values === undefined) continue;
    let picked: JsonObject | undefined;
    if (fields === null) picked = values;
    else {
      for (const f of fields) {
        if (has(values, f)) (picked ??= {})[f] = values[f];
      }
    }
    if (picked !== undefined && Object.keys(picked).length > 0) (out ??= {})[obj] = picked;
  }
  return out;
}

/**
 * Like pickStatus, but every requested object is present, as in a Klippy query reply: a field
 * that was asked for by name and is unknown reads null.
 */
export function answerFromStatus(
  status: Record<string, JsonObject>,
  sel: ObjectSelection,
): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const [obj, fields] of Object.entries(sel)) {
    const values = has(status, obj) ? status[obj] : undefined;
    if (values === undefined) {
      out[obj] = {};
      continue;
    }
    if (fields === null) out[obj] = { ...values };
    else {
      const picked: JsonObject = {};
      for (const f of fields) if (f !== '__proto__') picked[f] = has(values, f) ? values[f] : null;
      out[obj] = picked;
    }
  }
  return out;
}

/**
 * Validates a selection received from a client. The spec says an empty list means every field;
 * Klippy itself reads `[]` as no fields and `null` as all, so `[]` becomes `null` here.
 */
export function normaliseSelection(raw: unknown): ObjectSelection | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'objects must be an object';
  const out: ObjectSelection = {};
  for (const [obj, fields] of Object.entries(raw as Record<string, unknown>)) {
    if (obj === '__proto__') return 'invalid object name "__proto__"';
    if (Array.isArray(fields) && fields.includes('__proto__')) return `invalid field name "__proto__" in "${obj}"`;
    if (fields === null || (Array.isArray(fields) && fields.length === 0)) out[obj] = null;
    else if (Array.isArray(fields) && fields.every((f) => typeof f === 'string')) out[obj] = fields;
    else return `fields of "${obj}" must be a list of strings or null`;
  }
  return out;
}

/**
 * The HTTP form `?gcode_move=gcode_position,speed&toolhead&extruder=target`: each key is an
 * object, its comma-separated value the fields; a bare key (or empty value) means every field.
 * Keys in `reserved` (e.g. `connection_id`, `token`) are not objects.
 */
export function selectionFromQuery(params: URLSearchParams, reserved: ReadonlySet<string>): ObjectSelection {
  const out: ObjectSelection = {};
  for (const [key, value] of params) {
    if (reserved.has(key) || key === '__proto__') continue;
    const fields = value
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    const prev = has(out, key) ? out[key] : undefined;
    if (fields.length === 0 || prev === null) out[key] = null;
    else out[key] = prev === undefined ? fields : [...new Set([...prev, ...fields])];
  }
  return out;
}
