// Reads recorded Klippy socket traffic (../shared/reference/transcripts/*.log): records start
// with a `>` (to Klippy) or `<` (from Klippy) header line carrying a timestamp and a byte
// length, followed by that many bytes, where each 0x03 frame end is written as `.`. A `.` also
// occurs inside JSON (floats), so frames are found by where the JSON itself ends.

export interface TranscriptFrame {
  direction: '>' | '<';
  message: Record<string, unknown>;
}

/** Splits `text` into JSON objects each followed by `.`. */
function splitFrames(text: string): unknown[] {
  const out: unknown[] = [];
  let start = 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        out.push(JSON.parse(text.slice(start, i + 1)));
        // Skip the `.` that stands for ETX, and any line break the recorder added.
        while (i + 1 < text.length && /[.\r\n]/.test(text[i + 1]!)) i++;
        start = i + 1;
      }
    }
  }
  return out;
}

export function parseTranscript(text: string): TranscriptFrame[] {
  const frames: TranscriptFrame[] = [];
  const header = /^([<>])[^\n]*?(\d+)\s*$/;
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const m = header.exec(lines[i]!);
    if (!m) {
      i++;
      continue;
    }
    const body: string[] = [];
    i++;
    while (i < lines.length && !header.test(lines[i]!)) body.push(lines[i++]!);
    for (const msg of splitFrames(body.join('\n'))) {
      if (msg && typeof msg === 'object' && !Array.isArray(msg)) frames.push({ direction: m[1] as '<' | '>', message: msg as Record<string, unknown> });
    }
  }
  return frames;
}

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Where `actual` does not have the fields of `expected` with the same JSON types (values may
 * differ). Numbers are one type; `null` in the recording accepts anything (Klippy reports null
 * for values not yet known). Object maps keyed by printer objects are compared on shared keys
 * only when `sharedKeysOnly` says so for that path.
 */
export function shapeDifferences(expected: unknown, actual: unknown, path = '$', sharedKeysOnly: (path: string) => boolean = () => false): string[] {
  if (expected === null) return [];
  if (typeOf(expected) !== typeOf(actual)) return [`${path}: expected ${typeOf(expected)}, got ${typeOf(actual)}`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0 || actual.length === 0) return [];
    return shapeDifferences(expected[0], actual[0], `${path}[0]`, sharedKeysOnly);
  }
  if (typeOf(expected) === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const out: string[] = [];
    for (const k of Object.keys(e)) {
      if (!(k in a)) {
        if (!sharedKeysOnly(path)) out.push(`${path}.${k}: missing`);
        continue;
      }
      out.push(...shapeDifferences(e[k], a[k], `${path}.${k}`, sharedKeysOnly));
    }
    return out;
  }
  return [];
}

/** A frame or a recorder note (`# ...` lines: phases, connections opened and closed). */
export type TranscriptEvent = ({ kind: 'frame' } & TranscriptFrame) | { kind: 'note'; text: string };

export function parseTranscriptEvents(text: string): TranscriptEvent[] {
  const events: TranscriptEvent[] = [];
  let chunk: string[] = [];
  const flush = (): void => {
    if (chunk.length) for (const f of parseTranscript(chunk.join('\n'))) events.push({ kind: 'frame', ...f });
    chunk = [];
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      flush();
      events.push({ kind: 'note', text: line.replace(/^#\s*(\d+\.\d+\s+)?/, '') });
    } else chunk.push(line);
  }
  flush();
  return events;
}

/**
 * Pairs each reply with its request: the latest request with that id that has no reply yet
 * (today's Moonraker numbers requests with Python object ids, which repeat). A connection that
 * closes takes its unanswered requests with it. Returns reply event index → request event index.
 */
export function pairReplies(events: TranscriptEvent[]): Map<number, number> {
  const pairs = new Map<number, number>();
  let open = new Map<string, number[]>();
  events.forEach((e, i) => {
    if (e.kind === 'note') {
      if (/connection \d+ closed/.test(e.text)) open = new Map();
      return;
    }
    if (!('id' in e.message)) return;
    const key = JSON.stringify(e.message.id);
    if (e.direction === '>') {
      open.set(key, [...(open.get(key) ?? []), i]);
      return;
    }
    const waiting = open.get(key);
    const req = waiting?.pop();
    if (req !== undefined) pairs.set(i, req);
  });
  return pairs;
}
