// How big a reply may get before we refuse to build it. A request is small (a few KiB), but
// what it asks for need not be: one database namespace, or a batch of 200 reads of the same
// 3 MiB item, serialises to more than V8's longest string, and JSON.stringify then throws.
// Replies are therefore measured before they are serialised, and a reply that is too large is
// answered with an error (413 "Reply too large") instead of being built.
import { internalError, tooLarge, ServerError } from '../shared/errors.js';

export function replyTooLarge(limitBytes: number): ServerError {
  return tooLarge(`Reply too large: over the limit of ${limitBytes} bytes (ask for less at a time)`);
}

/**
 * Whether the JSON text of `value` would be longer than `limit` characters. Walks the value
 * (iteratively, so depth costs no stack) and stops as soon as the running estimate passes the
 * limit, so a huge value is refused without being copied. The estimate never exceeds the real
 * length by more than the escapes JSON adds, so a value it accepts is serialised and checked
 * again exactly (see `serializeBounded`).
 */
export function jsonLengthExceeds(value: unknown, limit: number): boolean {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') total += 5;
    else if (v === null || v === undefined) total += 4;
    else if (typeof v === 'object') {
      if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) {
        total += v.byteLength;
      } else if (Array.isArray(v)) {
        total += 2 + v.length;
        for (const item of v as unknown[]) stack.push(item);
      } else {
        const toJSON = (v as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') {
          total += 24;
          continue;
        }
        total += 2;
        for (const k in v) {
          if (!Object.hasOwn(v, k)) continue;
          total += k.length + 4;
          stack.push((v as Record<string, unknown>)[k]);
        }
      }
    }
    if (total > limit) return true;
  }
  return false;
}

/**
 * The JSON text of `value`, or throws: 413 (replyTooLarge) when it would be longer than
 * `limit` characters (the message names `configuredLimit`: what is left of a batch's budget
 * means nothing to a client), 500 when it cannot be serialised at all (V8's string limit, a cycle).
 */
export function serializeBounded(value: unknown, limit: number, configuredLimit = limit): string {
  if (jsonLengthExceeds(value, limit)) throw replyTooLarge(configuredLimit);
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    if (err instanceof RangeError) throw replyTooLarge(configuredLimit);
    throw internalError(`Internal error: reply could not be serialised (${(err as Error).message})`);
  }
  if (text.length > limit) throw replyTooLarge(configuredLimit);
  return text;
}
