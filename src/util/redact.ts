// Makes any value safe to show on a debug stream: plain JSON, with secrets and file contents
// taken out. Used by the inspection stream for machine events and contexts, which may one day
// carry API keys, tokens, passwords (the auth machines) or whole files (uploads, thumbnails).
//
// The rules, by key and by size, so a new machine needs no list of its own:
// - a key that names a secret (password, token, secret, api key, authorization, cookie,
//   credential, private key...) has its value replaced by "[redacted]", whatever it holds;
// - a key that names file contents (data, content(s), body, file_contents, thumbnail(s)) with a
//   string value, and any string longer than MAX_STRING, becomes "[N chars]";
// - bytes (Buffer, typed arrays) become "[N bytes]", functions "[function]", errors
//   {name, message}, actors {actor: id}; depth, array length and cycles are bounded;
// - every string left passes through `scrub`, if given (the logger's registered secrets, so a
//   key that turns up in a URL or a message is still hidden).

export const REDACTED = '[redacted]';
export const MAX_STRING = 512;
const MAX_DEPTH = 8;
const MAX_ITEMS = 100;

/**
 * Words that make a key secret, matched against the key's words: `apiKey`, `api_key`,
 * `X-Api-Key`, `oneshot_token`, `accessToken`, `password_hash` all contain one.
 */
const SECRET_WORDS = new Set([
  'password', 'passwd', 'passphrase', 'pass', 'pw', 'pwd', 'secret', 'secrets', 'token', 'tokens', 'jwt', 'bearer',
  'apikey', 'key', 'authorization', 'auth', 'cookie', 'cookies', 'credential', 'credentials', 'private', 'signature', 'otp',
]);
/** Key names whose string values are file contents. */
const CONTENTS_KEY = /^(data|content|contents|body|file_?contents|thumbnails?)$/i;

export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((w) => SECRET_WORDS.has(w));
}

const chars = (s: string) => `[${s.length} chars]`;

type Scrub = (text: string) => string;
const keep: Scrub = (t) => t;

export function redact(value: unknown, scrub: Scrub = keep): unknown {
  return walk(value, undefined, 0, new WeakSet(), scrub);
}

function walk(value: unknown, key: string | undefined, depth: number, seen: WeakSet<object>, scrub: Scrub): unknown {
  if (key !== undefined && isSecretKey(key) && value !== null && value !== undefined && value !== '') return REDACTED;
  switch (typeof value) {
    case 'string':
      if (key !== undefined && CONTENTS_KEY.test(key) && value.length > 32) return chars(value);
      return value.length > MAX_STRING ? chars(value) : scrub(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
      return undefined;
    case 'function':
      return '[function]';
    case 'symbol':
      return scrub(value.toString());
  }
  if (value === null) return null;
  const obj = value as object;
  if (ArrayBuffer.isView(obj)) return `[${obj.byteLength} bytes]`;
  if (obj instanceof ArrayBuffer) return `[${obj.byteLength} bytes]`;
  if (obj instanceof Error) return { name: obj.name, message: walk(obj.message, undefined, depth + 1, seen, scrub) };
  if (obj instanceof Date) return obj.toISOString();
  if (isActorRef(obj)) return { actor: obj.id };
  if (seen.has(obj)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[…]';
  seen.add(obj);
  try {
    if (Array.isArray(obj) || obj instanceof Set) {
      const items = [...(obj as Iterable<unknown>)];
      const out = items.slice(0, MAX_ITEMS).map((v) => walk(v, key && CONTENTS_KEY.test(key) ? key : undefined, depth + 1, seen, scrub) ?? null);
      if (items.length > MAX_ITEMS) out.push(`[… ${items.length - MAX_ITEMS} more]`);
      return out;
    }
    const entries = obj instanceof Map ? [...(obj as Map<unknown, unknown>)].map(([k, v]) => [String(k), v] as const) : Object.entries(obj);
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const [k, v] of entries) {
      if (n++ >= MAX_ITEMS) {
        out['…'] = `${entries.length - MAX_ITEMS} more keys`;
        break;
      }
      const r = walk(v, k, depth + 1, seen, scrub);
      if (r !== undefined) out[scrub(k)] = r;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

function isActorRef(obj: object): obj is { id: string } {
  const o = obj as { id?: unknown; send?: unknown; getSnapshot?: unknown; sessionId?: unknown };
  return typeof o.id === 'string' && typeof o.sessionId === 'string' && typeof o.send === 'function' && typeof o.getSnapshot === 'function';
}
