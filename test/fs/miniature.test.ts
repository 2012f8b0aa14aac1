// The 32x32 miniature made from the largest embedded thumbnail, on the real thumbnails of the
// sample files (PNG, JPEG, QOI): its size keeps the aspect, it decodes, and it shows the same
// picture (its mean colour is the source's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { extractMetadata, type Thumbnail } from '../../src/fs/metadata/gcodeMetadata.js';
import { fitSize, makeMiniature } from '../../src/fs/metadata/miniature.js';
import { sample } from '../helpers/gcodeSamples.js';

const thumbsOf = (file: string) => {
  const text = readFileSync(sample(file)).toString('latin1');
  return extractMetadata(text, text).thumbnails ?? [];
};

function pixels(t: Thumbnail): { width: number; height: number; data: Uint8Array } {
  const bytes = Buffer.from(t.data, 'base64');
  return t.format === 'png' ? PNG.sync.read(bytes) : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
}

/** Alpha-weighted mean colour. */
function meanColour(img: { data: Uint8Array }): number[] {
  const sum = [0, 0, 0];
  let a = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    const alpha = img.data[i + 3]!;
    for (let c = 0; c < 3; c++) sum[c]! += img.data[i + c]! * alpha;
    a += alpha;
  }
  return sum.map((s) => s / a);
}

// file → the largest thumbnail (by bytes) and the miniature's size.
const CASES: Array<[string, string, string]> = [
  ['orcaslicer-2.3.0-beta2.gcode', '300x300', '32x32'],
  ['prusaslicer-2.7.4_plant-sign.gcode', '220x124', '32x18'], // 124 · 32/220 = 18.04
  ['prusaslicer-2.4.1_jpg-thumbs.gcode', '160x160', '32x32'], // a JPEG source
  ['cura-4.13.1_qoi-thumb.gcode', '128x128', '32x32'], // QOI, converted to PNG first
  ['prusaslicer-2.8.1_qoi-thumbs.gcode', '640x480', '32x24'],
];

for (const [file, source, size] of CASES) {
  test(`the miniature of ${file}: ${size} from the ${source}`, () => {
    const thumbs = thumbsOf(file);
    const mini = makeMiniature(thumbs);
    assert.ok(mini, 'a miniature');
    assert.equal(`${mini.width}x${mini.height}`, size);
    assert.equal(mini.format, 'png');
    assert.equal(mini.miniature, true);
    assert.equal(mini.size, mini.data.length);
    const img = PNG.sync.read(Buffer.from(mini.data, 'base64'));
    assert.equal(`${img.width}x${img.height}`, size);
    const src = thumbs.find((t) => `${t.width}x${t.height}` === source)!;
    const want = meanColour(pixels(src));
    const got = meanColour(img);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[c]! - want[c]!) < 6, `channel ${c}: ${got[c]} against ${want[c]}`);
    // Not a flat square: the picture's detail survives.
    const reds = new Set<number>();
    for (let i = 0; i < img.data.length; i += 4) if (img.data[i + 3]! > 0) reds.add(img.data[i]!);
    assert.ok(reds.size > 4, `only ${reds.size} shades`);
  });
}

test('no miniature when the slicer embedded a 32x32, none, or one that does not decode', () => {
  const [a] = thumbsOf('orcaslicer-2.3.0-beta2.gcode');
  assert.equal(makeMiniature([]), undefined);
  assert.equal(makeMiniature([{ ...a!, width: 32, height: 32 }, a!]), undefined);
  const junk: Thumbnail = { width: 300, height: 300, size: 8, data: Buffer.from('not a png at all').toString('base64'), format: 'png' };
  assert.equal(makeMiniature([junk]), undefined);
  const badJpeg: Thumbnail = { ...junk, format: 'jpg', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).toString('base64') };
  assert.equal(makeMiniature([badJpeg]), undefined);
  // A PNG header declaring a huge image is not decoded at all.
  const huge = Buffer.from(PNG.sync.write(Object.assign(new PNG({ width: 1, height: 1 }), { data: Buffer.alloc(4) })));
  huge.writeUInt32BE(100_000, 16);
  huge.writeUInt32BE(100_000, 20);
  assert.equal(makeMiniature([{ ...junk, data: huge.toString('base64') }]), undefined);
});

test('the size fits 32x32 with the aspect kept, never grows, never reaches 0', () => {
  assert.deepEqual(fitSize(220, 124), { width: 32, height: 18 });
  assert.deepEqual(fitSize(124, 220), { width: 18, height: 32 });
  assert.deepEqual(fitSize(640, 480), { width: 32, height: 24 });
  assert.deepEqual(fitSize(16, 16), { width: 16, height: 16 });
  assert.deepEqual(fitSize(1, 100), { width: 1, height: 32 });
  assert.deepEqual(fitSize(300, 300), { width: 32, height: 32 });
});
