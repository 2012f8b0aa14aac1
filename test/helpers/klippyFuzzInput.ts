// Seeded generators of what a misbehaving Klippy could send: status updates and gcode output of
// random shapes, replies to ids in use and not, random bytes, invalid UTF-8, broken JSON, and
// the stream cut into random chunks so frames arrive split and merged. Values come from the
// client fuzzer's generator (fuzzInput.ts), so prototype keys, huge strings and deep nesting are
// in the mix here too.
import { DEEP, Rng, randomValue, toJsonText, withInvalidUtf8 } from './fuzzInput.js';

const OBJECTS = ['toolhead', 'webhooks', 'print_stats', 'virtual_sdcard', 'heaters', 'extruder', 'heater_bed', 'gcode_move', 'configfile', 'fan', 'idle_timeout'];
const NASTY_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', '', 'x'.repeat(300)];
const FIELDS = ['state', 'state_message', 'filename', 'progress', 'temperature', 'target', 'position', 'homed_axes', 'available_sensors', 'is_active', 'total_duration', 'info', 'message'];
const KLIPPY_STATES = ['ready', 'startup', 'shutdown', 'error'];

/** A value a Klippy of another version, or with a bug, could plausibly put in a field. */
function fieldValue(rng: Rng, field: string): unknown {
  if (field === 'state' && rng.chance(0.3)) return rng.pick(KLIPPY_STATES.concat(['printing', 'paused', 'complete', 'standby']));
  return rng.chance(0.3) ? rng.pick([0, 1.5, 'xyz', [0, 0, 0, 0], true, null, {}]) : randomValue(rng, 3);
}

function objectStatus(rng: Rng): unknown {
  if (rng.chance(0.15)) return randomValue(rng, 2);
  const o: Record<string, unknown> = {};
  for (let i = rng.int(4); i >= 0; i--) {
    const field = rng.chance(0.1) ? rng.pick(NASTY_NAMES) : rng.pick(FIELDS);
    o[field] = fieldValue(rng, field);
  }
  return o;
}

function statusMap(rng: Rng): unknown {
  if (rng.chance(0.1)) return randomValue(rng, 2);
  const s: Record<string, unknown> = {};
  for (let i = rng.int(4); i >= 0; i--) s[rng.chance(0.1) ? rng.pick(NASTY_NAMES) : rng.pick(OBJECTS)] = objectStatus(rng);
  return s;
}

const eventtime = (rng: Rng) => (rng.chance(0.85) ? 100 + rng.next() * 1000 : randomValue(rng, 1));

/** A result Klippy could send for any request: sometimes right-looking, often not. */
export function randomResult(rng: Rng): unknown {
  switch (rng.int(6)) {
    case 0:
      return { eventtime: eventtime(rng), status: statusMap(rng) };
    case 1:
      return { state: rng.chance(0.5) ? rng.pick(KLIPPY_STATES) : randomValue(rng, 1), state_message: randomValue(rng, 1), klipper_path: randomValue(rng, 1) };
    case 2:
      return { objects: rng.chance(0.5) ? [rng.pick(OBJECTS)] : randomValue(rng, 2), endpoints: randomValue(rng, 2) };
    case 3:
      return {};
    default:
      return randomValue(rng, 3);
  }
}

/** One reply to `id`: a result, an error of any shape, or neither. */
export function randomReply(rng: Rng, id: unknown): Record<string, unknown> {
  const r = rng.next();
  if (r < 0.6) return { id, result: randomResult(rng) };
  if (r < 0.9) return { id, error: rng.chance(0.5) ? { error: 'WebRequestError', message: randomValue(rng, 1) } : randomValue(rng, 2) };
  return { id };
}

/** The bytes of one thing Klippy sends unasked (usually one frame, sometimes broken ones). */
export function klippyFrame(rng: Rng, nextIds: () => number[]): Buffer {
  let message: unknown;
  switch (rng.int(12)) {
    case 0:
    case 1:
    case 2:
    case 3:
      message = { method: 'process_status_update', params: rng.chance(0.9) ? { eventtime: eventtime(rng), status: statusMap(rng) } : randomValue(rng, 2) };
      break;
    case 4:
      message = { method: 'process_gcode_response', params: rng.chance(0.7) ? { response: randomValue(rng, 1) } : randomValue(rng, 2) };
      break;
    case 5: {
      // A reply to a request that may be pending right now (ids the server used lately).
      const ids = nextIds();
      message = randomReply(rng, rng.chance(0.7) && ids.length > 0 ? rng.pick(ids) : randomValue(rng, 1));
      break;
    }
    case 6:
      message = { method: rng.chance(0.5) ? rng.pick(['process_status_update', 'process_gcode_response', 'nope', '']) : randomValue(rng, 1), params: randomValue(rng, 2) };
      break;
    case 7:
      message = randomValue(rng, 3);
      break;
    case 8: {
      const text = toJsonText(rng, { method: 'process_status_update', params: { eventtime: 1, status: statusMap(rng) } });
      return Buffer.concat([withInvalidUtf8(rng, text), Buffer.of(0x03)]);
    }
    case 9: {
      const text = toJsonText(rng, { method: 'process_status_update', params: { eventtime: 1, status: { toolhead: { x: DEEP } } } });
      return Buffer.from(text.slice(0, rng.chance(0.5) ? rng.int(text.length) : text.length) + '\x03');
    }
    case 10:
      return Buffer.from(Array.from({ length: rng.int(200) }, () => (rng.chance(0.05) ? 0x03 : rng.int(256))));
    default:
      return Buffer.from(toJsonText(rng, { method: 'process_status_update', params: { eventtime: eventtime(rng), status: { webhooks: { state: rng.pick(KLIPPY_STATES), state_message: 'fuzz' } } } }) + '\x03');
  }
  return Buffer.from(toJsonText(rng, message) + '\x03');
}

/** `bytes` cut into random chunks: frames split anywhere, several merged into one write. */
export function chunked(rng: Rng, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = rng.chance(0.3) ? 1 + rng.int(8) : 1 + rng.int(4096);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}
