// The one check every JSON value a client sends passes before any handler sees it (HTTP bodies
// and websocket messages alike). JSON.parse itself copes with any depth, but everything after it
// that recurses (JSON.stringify when storing or replying, structuredClone) overflows the stack
// a few thousand levels down; and an own `__proto__` key turns into a prototype the moment some
// code copies the object with assignment (Object.assign, `{...}` into a record by key).
import { badRequest } from '../shared/errors.js';

/** Far deeper than any real client's settings (Mainsail's go about ten levels), far below V8's stack. */
export const MAX_CLIENT_JSON_DEPTH = 100;

/** The names that reach a prototype when used as a property key. */
/**
 * Throws a 400 if `value` nests deeper than MAX_CLIENT_JSON_DEPTH or holds a `__proto__` key at
 * any level. Walks with an explicit stack, so the check itself cannot overflow.
 */
export function checkClientJson(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_CLIENT_JSON_DEPTH) {
      throw badRequest(`JSON nested deeper than ${MAX_CLIENT_JSON_DEPTH} levels`);
    }
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1]);
      continue;
    }
    if (Object.hasOwn(v, '__proto__')) throw badRequest('JSON key "__proto__" not allowed');
    for (const item of Object.values(v)) stack.push([item, depth + 1]);
  }
}
