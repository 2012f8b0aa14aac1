// Klippy's messages as the server accepts them: the socket actor's edge. Every frame Klippy sends
// becomes one typed message or is dropped with a reason, so that nothing past the socket has to
// wonder whether a status is null, a state is a number or an object is named `__proto__`. Klippy
// is a peer, not a part of us: a bug, another version or a foreign process on the socket must
// not be able to crash the server or poison its objects.
import {
  GCODE_RESPONSE_METHOD,
  STATUS_UPDATE_METHOD,
  isKlippyState,
  type JsonObject,
  type StatusReply,
} from '../shared/klippyProtocol.js';

export type KlippyMessage =
  /** A reply to request `id`; `result` is checked against the request's method by `checkReply`. */
  | { kind: 'reply'; id: number; result: unknown }
  | { kind: 'error'; id: number; message: string }
  /** Klippy's id-less messages (response templates, remote methods), params an object. */
  | { kind: 'notification'; method: string; params: JsonObject }
  | { kind: 'invalid'; why: string };

/**
 * Deeper than any real Klippy message (configfile.settings is 4 levels), shallow enough that
 * JSON.stringify, which recurses, can never overflow the stack on what we pass on to clients.
 */
export const MAX_DEPTH = 64;
/** Names that reach prototypes when assigned with `obj[name] =` or Object.assign. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Longest error text from Klippy we pass on to a client. */
const MAX_ERROR_TEXT = 64 * 1024;
/**
 * Longest gcode response kept and passed on, in characters. Klippy's longest outputs (HELP,
 * BED_MESH_OUTPUT, DUMP_TMC) are a few KiB.
 */
export const MAX_GCODE_RESPONSE = 64 * 1024;

const isPlainObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Walks a parsed value without recursion: fails past MAX_DEPTH and deletes forbidden keys at
 * every level (JSON.parse makes `__proto__` an own key; a later Object.assign would make it a
 * prototype). Returns why the value is refused, or undefined.
 */
function checkTree(root: unknown): string | undefined {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (const v of value) if (typeof v === 'object' && v !== null) stack.push([v, depth + 1]);
      continue;
    }
    const o = value as JsonObject;
    for (const key of Object.keys(o)) {
      if (FORBIDDEN_KEYS.has(key)) {
        delete o[key];
        continue;
      }
      const v = o[key];
      if (typeof v === 'object' && v !== null) stack.push([v, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Whether the JSON text nests deeper than MAX_DEPTH, read before parsing: JSON.parse takes
 * seconds on megabytes of brackets, this stops at the first bracket too many.
 */
function nestsTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** One frame's text (UTF-8 decoded, terminator removed) as a message. */
export function readKlippyFrame(frame: string): KlippyMessage {
  if (nestsTooDeep(frame)) return { kind: 'invalid', why: `nested deeper than ${MAX_DEPTH} levels` };
  let msg: unknown;
  try {
    msg = JSON.parse(frame);
  } catch {
    return { kind: 'invalid', why: 'not JSON' };
  }
  if (!isPlainObject(msg)) return { kind: 'invalid', why: 'not a JSON object' };
  const refused = checkTree(msg);
  if (refused) return { kind: 'invalid', why: refused };
  if ('id' in msg) {
    // Our ids are positive integers; anything else answers nothing we asked.
    if (typeof msg.id !== 'number' || !Number.isSafeInteger(msg.id)) return { kind: 'invalid', why: `reply with id ${JSON.stringify(msg.id)?.slice(0, 40)}` };
    const error = msg.error;
    if (error !== undefined && error !== null) return { kind: 'error', id: msg.id, message: errorText(error) };
    return { kind: 'reply', id: msg.id, result: msg.result };
  }
  if (typeof msg.method !== 'string') return { kind: 'invalid', why: 'neither a reply nor a method' };
  const params = msg.params ?? {};
  if (!isPlainObject(params)) return { kind: 'invalid', why: `${msg.method} with params that are not an object` };
  if (msg.method === STATUS_UPDATE_METHOD) {
    const status = readStatusReply(params);
    if (typeof status === 'string') return { kind: 'invalid', why: `${msg.method}: ${status}` };
    return { kind: 'notification', method: msg.method, params: status as unknown as JsonObject };
  }
  if (msg.method === GCODE_RESPONSE_METHOD) {
    if (typeof params.response !== 'string') return { kind: 'invalid', why: `${msg.method} without a response string` };
    // The console keeps its last lines by count and sends each to every client: one line must
    // not be able to weigh megabytes.
    if (params.response.length > MAX_GCODE_RESPONSE) {
      return { kind: 'notification', method: msg.method, params: { response: `${params.response.slice(0, MAX_GCODE_RESPONSE)}… (${params.response.length - MAX_GCODE_RESPONSE} characters cut)` } };
    }
  }
  return { kind: 'notification', method: msg.method, params };
}

function errorText(error: unknown): string {
  const message = isPlainObject(error) && typeof error.message === 'string' ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
  return message.length > MAX_ERROR_TEXT ? `${message.slice(0, MAX_ERROR_TEXT)}…` : message;
}

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const bool: Check = (v) => typeof v === 'boolean';
const strOrNull: Check = (v) => v === null || typeof v === 'string';
const numOrNull: Check = (v) => v === null || num(v);
const strings: Check = (v) => Array.isArray(v) && v.every(str);
const layers: Check = (v) => v === null || (isPlainObject(v) && numOrNull(v.current_layer ?? null) && numOrNull(v.total_layer ?? null));

/**
 * The fields the server itself reads, with the types it relies on. A field of the wrong type is
 * dropped (as if Klippy had not reported it); every other field is passed on to clients as is.
 */
const FIELD_CHECKS: Record<string, Record<string, Check>> = {
  webhooks: { state: (v) => isKlippyState(v), state_message: str },
  print_stats: {
    state: str,
    filename: str,
    message: str,
    total_duration: num,
    print_duration: num,
    filament_used: num,
    info: layers,
  },
  virtual_sdcard: { progress: num, file_position: num, file_size: num, is_active: bool, file_path: strOrNull },
  heaters: { available_sensors: strings, available_monitors: strings, available_heaters: strings },
};

/**
 * `{eventtime, status}` as in a status update or an objects/query|subscribe reply. Each object's
 * status must be an object: others (`{"toolhead": null}`) are left out, as are fields the server
 * reads that have the wrong type. Returns why the whole is refused, or the cleaned reply.
 */
export function readStatusReply(value: unknown): StatusReply | string {
  if (!isPlainObject(value)) return 'not an object';
  if (!num(value.eventtime)) return 'eventtime is not a number';
  if (!isPlainObject(value.status)) return 'status is not an object';
  const status: Record<string, JsonObject> = {};
  for (const [name, fields] of Object.entries(value.status)) {
    if (!isPlainObject(fields)) continue;
    const checks = Object.hasOwn(FIELD_CHECKS, name) ? FIELD_CHECKS[name] : undefined;
    if (checks) {
      for (const [field, check] of Object.entries(checks)) {
        if (Object.hasOwn(fields, field) && !check(fields[field])) delete fields[field];
      }
    }
    status[name] = fields;
  }
  return { eventtime: value.eventtime as number, status };
}

const INFO_STRINGS = ['state_message', 'hostname', 'klipper_path', 'python_path', 'log_file', 'config_file', 'software_version', 'cpu_info'];

/** The shape each method's reply must have; methods not listed need only an object. */
const REPLY_CHECKS: Record<string, (result: JsonObject) => JsonObject | string> = {
  info: (r) => {
    if (!isKlippyState(r.state)) return 'state is not one of Klippy\'s states';
    const bad = INFO_STRINGS.find((k) => r[k] !== undefined && typeof r[k] !== 'string');
    if (bad) return `${bad} is not a string`;
    // The connection reports it as the reason for an error or shutdown state.
    if (r.state_message === undefined) r.state_message = '';
    return r;
  },
  list_endpoints: (r) => (strings(r.endpoints) ? r : 'endpoints is not a list of strings'),
  'objects/list': (r) => (strings(r.objects) ? r : 'objects is not a list of strings'),
  'objects/query': (r) => readStatusReply(r) as JsonObject | string,
  'objects/subscribe': (r) => readStatusReply(r) as JsonObject | string,
};

/** Klippy's result for a request of `method`, checked; a string says why it is refused. */
export function checkReply(method: string, result: unknown): JsonObject | string {
  if (!isPlainObject(result)) return 'the result is not an object';
  const check = Object.hasOwn(REPLY_CHECKS, method) ? REPLY_CHECKS[method] : undefined;
  return check ? check(result) : result;
}
