// Object processing on copies of the sample files whose slicers label objects: the added lines
// are Klipper's exclude_object syntax, every extruding move of an object lies inside the polygon
// declared for it, and taking the added lines out gives back the original bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METADATA_READ_SIZE } from '../../src/fs/metadata/gcodeMetadata.js';
import { objectLabels, processObjects } from '../../src/fs/metadata/objectProcessing.js';
import { readMetadata } from '../../src/fs/metadata/metadataWorker.js';
import { sample } from '../helpers/gcodeSamples.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'moonstate-objects-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const headOf = (path: string) => readFileSync(path).subarray(0, METADATA_READ_SIZE).toString('latin1');
const ADDED = /^(?:EXCLUDE_OBJECT_(?:DEFINE|START|END) NAME=.*|; Pre-Processed for Cancel-Object support by moonstate|; \d+ known objects|)\r?$/;

async function processCopy(file: string, name = file): Promise<{ path: string; before: string; after: string; processed: boolean }> {
  const path = join(dir, name);
  copyFileSync(sample(file), path);
  const before = readFileSync(path, 'latin1');
  const processed = await processObjects(dir, path, headOf(path));
  return { path, before, after: readFileSync(path, 'latin1'), processed };
}

interface Parsed {
  defines: Map<string, { center: number[]; polygon: number[][] }>;
  starts: string[];
  ends: string[];
  /** Extruding X/Y moves inside each object's START..END. */
  moves: Map<string, Array<[number, number]>>;
}

function parse(text: string): Parsed {
  const defines = new Map<string, { center: number[]; polygon: number[][] }>();
  const starts: string[] = [];
  const ends: string[] = [];
  const moves = new Map<string, Array<[number, number]>>();
  let current: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const def = line.match(/^EXCLUDE_OBJECT_DEFINE NAME=(\S+) CENTER=(\S+) POLYGON=(\S+)$/);
    if (def) {
      defines.set(def[1]!, { center: def[2]!.split(',').map(Number), polygon: JSON.parse(def[3]!) as number[][] });
      continue;
    }
    const st = line.match(/^EXCLUDE_OBJECT_START NAME=(\S+)$/);
    if (st) {
      assert.equal(current, undefined, `START ${st[1]} inside ${current}`);
      current = st[1]!;
      starts.push(current);
      continue;
    }
    const en = line.match(/^EXCLUDE_OBJECT_END NAME=(\S+)$/);
    if (en) {
      assert.equal(en[1], current, 'END names the object started');
      ends.push(current!);
      current = undefined;
      continue;
    }
    const g = line.split(';')[0]!.match(/^G[0-3] (?=.*X(-?[\d.]+))(?=.*Y(-?[\d.]+))(?=.*E([\d.]+))/);
    if (current && g && Number(g[3]) > 0) {
      if (!moves.has(current)) moves.set(current, []);
      moves.get(current)!.push([Number(g[1]), Number(g[2])]);
    }
  }
  assert.equal(current, undefined, 'every START is ended');
  return { defines, starts, ends, moves };
}

/** True if `p` is inside (or on) the convex polygon, counter-clockwise, within rounding. */
function inside(poly: number[][], p: [number, number]): boolean {
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    const crossed = (b[0]! - a[0]!) * (p[1] - a[1]!) - (b[1]! - a[1]!) * (p[0] - a[0]!);
    const len = Math.hypot(b[0]! - a[0]!, b[1]! - a[1]!);
    if (crossed / (len || 1) < -0.002) return false;
  }
  return true;
}

function check(before: string, after: string, objects: string[], startCount: number) {
  const parsed = parse(after);
  assert.deepEqual([...parsed.defines.keys()], objects);
  assert.equal(parsed.starts.length, startCount);
  assert.equal(parsed.ends.length, startCount);
  for (const [name, { polygon }] of parsed.defines) {
    const pts = parsed.moves.get(name) ?? [];
    assert.ok(pts.length > 0, `${name} extrudes`);
    for (const p of pts) assert.ok(inside(polygon, p), `${name}: ${p} outside its polygon`);
  }
  // Only lines were added: the original lines are all there, in order.
  const kept = after.split('\n').filter((l) => !ADDED.test(l.replace(/\r$/, '')) || l.replace(/\r$/, '') === '');
  const origLines = before.split('\n');
  const keptNonBlank = kept.filter((l) => l.trim() !== '');
  assert.deepEqual(keptNonBlank, origLines.filter((l) => l.trim() !== ''));
}

test('which files have labels to process', () => {
  assert.equal(objectLabels(headOf(sample('prusaslicer-2.7.4_plant-sign.gcode'))), 'slicer');
  assert.equal(objectLabels(headOf(sample('cura-5.9.1.gcode'))), 'cura');
  assert.equal(objectLabels(headOf(sample('ideamaker-5.1.4.gcode'))), 'ideamaker');
  assert.equal(objectLabels(headOf(sample('orcaslicer-2.3.0-beta2.gcode'))), 'declared');
  assert.equal(objectLabels(headOf(sample('kirimoto-3.0.gcode'))), undefined);
});

test('PrusaSlicer: one object, three start/stop pairs, after the banner', async () => {
  const { before, after, processed } = await processCopy('prusaslicer-2.7.4_plant-sign.gcode');
  assert.equal(processed, true);
  check(before, after, ['CorianderIndentExample_stl_id_0_copy_0'], 3);
  assert.match(after, /^; generated by PrusaSlicer .*\n\n; Pre-Processed for Cancel-Object support by moonstate\n; 1 known objects\nEXCLUDE_OBJECT_DEFINE /m);
});

test('SuperSlicer with CRLF lines: four objects (two copies of one part count twice); the file keeps its line ends', async () => {
  const { before, after } = await processCopy('superslicer-2.3.56.gcode');
  // 25 layers of each, declared in the order they are first printed.
  check(before, after, ['cube_1_id_0_copy_0', 'cube_1_id_0_copy_1', 'union_3_id_2_copy_0', 'cylinder_2_id_1_copy_0'], 100);
  assert.equal((after.match(/\r\n/g) ?? []).length, (before.match(/\r\n/g) ?? []).length);
});

test('Cura: ;MESH: blocks, NONMESH outside any object', async () => {
  const { before, after } = await processCopy('cura-5.9.1.gcode');
  check(before, after, ['TC_Top_stl'], 25);
});

test('ideaMaker: ;PRINTING_ID blocks, -1 is no object, declared after ;TOTAL_NUM', async () => {
  const { before, after } = await processCopy('ideamaker-5.1.4.gcode');
  // 20 ";PRINTING_ID: 0" blocks (and one -1, the start gcode).
  check(before, after, ['TC_Top_stl'], 20);
  assert.match(after, /^;TOTAL_NUM: 1\n\n; Pre-Processed/m);
});

test('M486 labels become exclude_object lines, the M486 lines kept as comments', async () => {
  const path = join(dir, 'm486.gcode');
  const g = ['; some slicer', 'G28', 'M486 T2', 'M486 S0', 'G1 X10 Y10 E1', 'G1 X20 Y10 E2', 'G1 X20 Y20 E3', 'M486 S1', 'G1 X50 Y50 E4',
    'G1 X60 Y50 E5', 'G1 X60 Y60 E6', 'M486 S-1', 'G1 X0 Y0', 'M84', ''].join('\n');
  writeFileSync(path, g);
  assert.equal(await processObjects(dir, path, g), true);
  const out = readFileSync(path, 'utf8');
  const parsed = parse(out);
  assert.deepEqual([...parsed.defines.keys()], ['0', '1']);
  assert.deepEqual(parsed.starts, ['0', '1']);
  assert.ok(!/^M486/m.test(out), 'no M486 left for Klipper');
  assert.match(out, /^; M486 S0$/m);
  assert.deepEqual(parsed.defines.get('0')!.center, [16.667, 13.333]);
});

test('left alone: a file that declares its objects, one processed before, one without labels, a link', async () => {
  for (const file of ['orcaslicer-2.3.0-beta2.gcode', 'kirimoto-3.0.gcode']) {
    const r = await processCopy(file);
    assert.equal(r.processed, false);
    assert.equal(r.after, r.before);
  }
  // Processed before: counts as processed, not done twice.
  const first = await processCopy('cura-5.9.1.gcode', 'again.gcode');
  assert.equal(await processObjects(dir, first.path, headOf(first.path)), true);
  assert.equal(readFileSync(first.path, 'latin1'), first.after);
  // A link: its target is not rewritten through it.
  const target = join(dir, 'target.gcode');
  copyFileSync(sample('cura-5.9.1.gcode'), target);
  symlinkSync(target, join(dir, 'link.gcode'));
  assert.equal(await processObjects(dir, join(dir, 'link.gcode'), headOf(target)), false);
  assert.ok(readFileSync(target).equals(readFileSync(sample('cura-5.9.1.gcode'))));
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.moonstate-')), [], 'no temp file left');
});

test('a folder on the way swapped for a symlink out of the root: the file beyond it is not rewritten', async () => {
  // The path was resolved inside the root; then a shell user made its folder a link to elsewhere.
  const root = mkdtempSync(join(dir, 'root-'));
  const elsewhere = mkdtempSync(join(dir, 'elsewhere-'));
  const victim = join(elsewhere, 'victim.gcode');
  copyFileSync(sample('cura-5.9.1.gcode'), victim);
  symlinkSync(elsewhere, join(root, 'sub'));
  const processed = await processObjects(root, join(root, 'sub', 'victim.gcode'), headOf(victim)).catch((err: { status?: number }) => err.status);
  assert.notEqual(processed, true);
  assert.ok(readFileSync(victim).equals(readFileSync(sample('cura-5.9.1.gcode'))), 'the file out of the root is untouched');
  assert.deepEqual(readdirSync(elsewhere), ['victim.gcode'], 'no temp file written out of the root');
});

test('the metadata of a processed file lists the processor and describes the new file', async () => {
  const path = join(dir, 'meta.gcode');
  copyFileSync(sample('cura-5.9.1.gcode'), path);
  const r = await readMetadata(path, dir, true);
  assert.deepEqual(r.metadata.file_processors, ['preprocess_cancellation']);
  assert.equal(r.size, readFileSync(path).length);
  assert.equal(r.metadata.slicer, 'Cura');
  // Processed before: listed whether or not processing is on now (as Moonraker); never claimed otherwise.
  assert.deepEqual((await readMetadata(path, dir, false)).metadata.file_processors, ['preprocess_cancellation']);
  const fresh = join(dir, 'fresh.gcode');
  copyFileSync(sample('cura-5.9.1.gcode'), fresh);
  assert.deepEqual((await readMetadata(fresh, dir, false)).metadata.file_processors, []);
  assert.ok(readFileSync(fresh).equals(readFileSync(sample('cura-5.9.1.gcode'))), 'untouched without the option');
});
