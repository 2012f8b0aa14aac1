// Object processing ([file_manager] enable_object_processing): gcode whose slicer labels its
// objects but does not declare them to Klipper gets the EXCLUDE_OBJECT_DEFINE / _START / _END
// lines of Klipper's exclude_object, so a UI can cancel one object of a plate. This is what
// Moonraker has the preprocess_cancellation package do; the lines follow Klipper's documented
// syntax, and the work is our own.
//
// Labels understood: "; printing object X" / "; stop printing object X" (PrusaSlicer family,
// Slic3r), ";MESH:X" (Cura), ";PRINTING: X" + ";PRINTING_ID: n" (ideaMaker), "M486 T/S" (any
// slicer writing Marlin's object commands). A file that declares objects already is left alone.
//
// Two streamed passes, never the whole file in memory: the first finds the objects and the outline
// (convex hull) and centre of what each one extrudes; the second copies the file to a temp file
// beside it with the lines added, which then replaces it in one rename. Runs in the metadata
// worker, off the request path.
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { syncDir, syncFile, tempName, withPinned } from '../safeWrite.js';

/** The name Moonraker lists in file_processors for this step (clients know it by that name). */
export const OBJECT_PROCESSOR = 'preprocess_cancellation';
const MARKER = '; Pre-Processed for Cancel-Object support by moonstate';
/** A file processed before, by us or by preprocess_cancellation. */
const PROCESSED = /^; Pre-Processed for Cancel-Object support by (?:moonstate|preprocess_cancellation v?\d+(?:\.\d+)*)/m;
const DECLARED = /\n(?:DEFINE_OBJECT|EXCLUDE_OBJECT_DEFINE) NAME=/;

type Style = 'slicer' | 'cura' | 'ideamaker' | 'm486';

/** True if the file was processed before, by us or by preprocess_cancellation (a plain search first: it runs on every parse). */
export function processedBefore(head: string): boolean {
  return head.includes('; Pre-Processed for Cancel-Object support by ') && PROCESSED.test(head);
}

/**
 * What object processing would do with a file, from its first bytes: 'done' when it was processed
 * before (it counts as processed), 'declared' when it declares its objects itself, else the label
 * style to process, or undefined when it labels no objects.
 */
export function objectLabels(head: string): 'done' | 'declared' | Style | undefined {
  if (processedBefore(head)) return 'done';
  if (DECLARED.test(head)) return 'declared';
  if (/\nM486 /.test(head)) return 'm486';
  if (/\n; printing object /.test(head)) return 'slicer';
  if (/\n;MESH:/.test(head)) return 'cura';
  if (/\n;PRINTING:/.test(head)) return 'ideamaker';
  return undefined;
}

/**
 * Calls `fn` with each line of the file, its end ("\n") included, read as latin1 (bytes as they
 * are); `afterChunk` is awaited after each megabyte (to write out what `fn` gathered).
 */
async function eachLine(path: string, fn: (line: string) => void, afterChunk?: () => Promise<void>): Promise<void> {
  let carry = '';
  for await (const chunk of createReadStream(path, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
    const text = carry + (chunk as string);
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl >= 0) {
      fn(text.slice(start, nl + 1));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    carry = text.slice(start);
    if (afterChunk) await afterChunk();
  }
  if (carry) fn(carry);
  if (afterChunk) await afterChunk();
}

/** Klipper object names: runs of anything but letters, digits and _ become one _, none at the ends. */
const cleanName = (s: string) => s.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');

type Point = [number, number];

const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/** Convex hull (Andrew's monotone chain), counter-clockwise, no point repeated. */
function convexHull(points: Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/** The outline and centre of what one object extrudes, in bounded memory. */
class Outline {
  private hull: Point[] = [];
  private pending: Point[] = [];
  private sumX = 0;
  private sumY = 0;
  private count = 0;

  add(x: number, y: number): void {
    this.sumX += x;
    this.sumY += y;
    this.count++;
    this.pending.push([x, y]);
    if (this.pending.length >= 4096) this.fold();
  }

  private fold(): void {
    this.hull = convexHull([...this.hull, ...this.pending]);
    this.pending = [];
  }

  get empty(): boolean {
    return this.count === 0;
  }

  define(name: string): string {
    this.fold();
    const f = (n: number) => String(Math.round(n * 1000) / 1000);
    let line = `EXCLUDE_OBJECT_DEFINE NAME=${name}`;
    if (this.count) line += ` CENTER=${f(this.sumX / this.count)},${f(this.sumY / this.count)}`;
    if (this.hull.length) line += ` POLYGON=[${this.hull.map(([x, y]) => `[${f(x)},${f(y)}]`).join(',')}]`;
    return line + '\n';
  }
}

/** X and Y of a G move that extrudes (E > 0), or undefined. Read by hand: it runs for every line. */
function extrudingXY(line: string): Point | undefined {
  const c = line.charCodeAt(0);
  if (c !== 71 && c !== 103 /* G, g */) return undefined;
  let end = line.indexOf(';');
  if (end < 0) end = line.length;
  let x = NaN;
  let y = NaN;
  let e = NaN;
  let i = line.indexOf(' ');
  while (i >= 0 && i < end) {
    const k = line.charCodeAt(i + 1) | 32; // lower case
    if (k === 120 /* x */) x = Number.parseFloat(line.slice(i + 2, i + 20));
    else if (k === 121 /* y */) y = Number.parseFloat(line.slice(i + 2, i + 20));
    else if (k === 101 /* e */) e = Number.parseFloat(line.slice(i + 2, i + 20));
    i = line.indexOf(' ', i + 1);
  }
  return e > 0 && Number.isFinite(x) && Number.isFinite(y) ? [x, y] : undefined;
}

const afterColon = (line: string) => line.slice(line.indexOf(':') + 1).trim();
const objectOf = (line: string) => line.slice(line.indexOf('printing object') + 'printing object'.length).trim();
const m486 = (line: string, letter: 'S' | 'T') => line.split(';', 1)[0]!.match(new RegExp(`\\s${letter}(-?\\d+)`))?.[1];

/** Reads the objects and their outlines (first pass). Keys are the slicer's labels. */
async function survey(path: string, style: Style): Promise<{ objects: Map<string, { name: string; outline: Outline }>; lastTimeElapsed?: string }> {
  const objects = new Map<string, { name: string; outline: Outline }>();
  let current: Outline | undefined;
  let lastTimeElapsed: string | undefined;
  let ideaName: string | undefined;
  const declare = (key: string, name: string) => {
    let o = objects.get(key);
    if (!o) objects.set(key, (o = { name: cleanName(name) || key, outline: new Outline() }));
    return o.outline;
  };
  await eachLine(path, (line) => {
    if (line.charCodeAt(0) === 59 /* ; */) {
      if (style === 'slicer') {
        if (line.startsWith('; printing object ')) current = declare(objectOf(line), objectOf(line));
        else if (line.startsWith('; stop printing object ')) current = undefined;
      } else if (style === 'cura') {
        if (line.startsWith(';MESH:')) {
          const mesh = afterColon(line);
          current = mesh === 'NONMESH' ? undefined : declare(mesh, mesh);
        } else if (line.startsWith(';TIME_ELAPSED:')) lastTimeElapsed = line;
      } else if (style === 'ideamaker') {
        if (line.startsWith(';PRINTING:')) ideaName = afterColon(line);
        else if (line.startsWith(';PRINTING_ID:')) {
          const id = afterColon(line);
          current = id === '-1' ? undefined : declare(id, ideaName ?? id);
        }
      }
      return;
    }
    if (style === 'm486' && line.startsWith('M486')) {
      const t = m486(line, 'T');
      if (t !== undefined) for (let i = 0; i < Number(t); i++) declare(String(i), String(i));
      const s = m486(line, 'S');
      if (s !== undefined) current = s === '-1' ? undefined : declare(s, s);
      return;
    }
    if (current) {
      const p = extrudingXY(line);
      if (p) current.add(p[0], p[1]);
    }
  });
  return { objects, lastTimeElapsed };
}

/**
 * Adds the exclude_object lines to the gcode file at `path` if its slicer labels objects.
 * Resolves to whether the file counts as processed (now or before). A linked file is left alone:
 * the rewrite replaces the entry in its folder, which must not become a copy of the link's target.
 */
export async function processObjects(root: string, abs: string, head: string): Promise<boolean> {
  const labels = objectLabels(head);
  if (labels === 'done') return true;
  if (labels === undefined || labels === 'declared') return false;
  // As every write the server makes in a root (src/fs/safeWrite.ts): the folder is held open and
  // must lie inside the root, the temp file is created exclusively in it and renamed there, so a
  // folder swapped for a symlink cannot send the rewrite out of the root.
  return withPinned(root, abs, (pinned) => rewrite(pinned.path, pinned.dir, labels));
}

async function rewrite(path: string, dir: string, labels: Style): Promise<boolean> {
  if ((await lstat(path)).isSymbolicLink()) return false;
  const { objects, lastTimeElapsed } = await survey(path, labels);
  if (objects.size === 0) return false;

  const defines = () => {
    let text = `\n${MARKER}\n; ${objects.size} known objects\n`;
    for (const { name, outline } of objects.values()) text += outline.define(name);
    return text;
  };
  const temp = join(dir, tempName());
  const out = createWriteStream(temp, { encoding: 'latin1', flags: 'wx' });
  // Lines gather here and go out once per chunk read, with the stream's backpressure.
  let pending: string[] = [];
  const write = (s: string) => {
    pending.push(s);
  };
  const flush = async () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    if (!out.write(text, 'latin1')) await once(out, 'drain');
  };
  let defined = false;
  let current: string | undefined;
  const start = (name: string) => {
    if (current !== undefined) write(`EXCLUDE_OBJECT_END NAME=${current}\n`);
    current = name;
    write(`EXCLUDE_OBJECT_START NAME=${name}\n`);
  };
  const end = () => {
    if (current !== undefined) write(`EXCLUDE_OBJECT_END NAME=${current}\n`);
    current = undefined;
  };
  try {
    await eachLine(
      path,
      (line) => {
      const isComment = line.charCodeAt(0) === 59;
      if (labels === 'm486' && line.startsWith('M486')) {
        // Klipper has no M486: each becomes its exclude_object lines, the original kept as a comment.
        if (!defined && m486(line, 'T') !== undefined) {
          defined = true;
          write(defines());
        }
        const s = m486(line, 'S');
        if (s !== undefined) {
          if (s === '-1') end();
          else start(objects.get(s)!.name);
        }
        write(`; ${line}`);
        return;
      }
      write(line);
      if (labels === 'slicer') {
        if (!defined && line.startsWith('; generated by')) {
          defined = true;
          write(defines());
        } else if (line.startsWith('; printing object ')) start(objects.get(objectOf(line))!.name);
        else if (line.startsWith('; stop printing object ') && current !== undefined) end();
      } else if (labels === 'cura') {
        // The declarations follow the header comments, after the first command.
        if (!defined && !isComment && line.trim() !== '') {
          defined = true;
          write(defines());
        }
        if (line.startsWith(';MESH:')) {
          const mesh = afterColon(line);
          if (mesh === 'NONMESH') end();
          else start(objects.get(mesh)!.name);
        } else if (line === lastTimeElapsed) end();
      } else if (labels === 'ideamaker') {
        if (!defined && line.startsWith(';TOTAL_NUM:')) {
          defined = true;
          write(defines());
        }
        if (line.startsWith(';PRINTING_ID:')) {
          const id = afterColon(line);
          if (id === '-1') end();
          else start(objects.get(id)!.name);
        } else if (/^;REMAINING_TIME: 0\r?\n$/.test(line)) end();
      }
      },
      flush,
    );
    end();
    await flush();
    out.end();
    await once(out, 'finish');
    // A file with no place for the declarations is left as it was.
    if (!defined) {
      await unlink(temp);
      return false;
    }
    // The original is gone after the rename: the new bytes must be on disk before it.
    await syncFile(temp);
    await rename(temp, path);
    await syncDir(dir);
    return true;
  } catch (err) {
    out.destroy();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
