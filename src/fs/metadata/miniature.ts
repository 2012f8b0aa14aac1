// The small thumbnail Moonraker makes for KlipperScreen and other small screens when the slicer
// embedded none of 32x32: the largest embedded thumbnail (by bytes) scaled down to fit 32x32 with
// its aspect kept, as a PNG, listed first and written as `<name>-32x32.png` whatever its aspect.
//
// Images are decoded with pngjs and jpeg-js (pure JavaScript, so the worker needs no native
// build) and scaled by averaging the source pixels each target pixel covers, which is what a
// downscale by a large factor needs to stay smooth.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { Thumbnail } from './gcodeMetadata.js';

const BOX = 32;
/** Larger images are not decoded: a thumbnail this big is a mistake or an attack. */
const MAX_PIXELS = 4_000_000;

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

function decode(t: Thumbnail): Rgba | undefined {
  const bytes = Buffer.from(t.data, 'base64');
  if (t.format === 'png') {
    if (bytes.length < 24 || bytes.readUInt32BE(16) * bytes.readUInt32BE(20) > MAX_PIXELS) return undefined;
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: png.data };
  }
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 64 });
  return { width: img.width, height: img.height, data: img.data };
}

/**
 * The size that fits in BOX x BOX with the aspect kept: of the two whole numbers around the exact
 * side, the one whose aspect is nearer the image's (as Pillow's thumbnail() does). Never larger
 * than the image.
 */
export function fitSize(width: number, height: number): { width: number; height: number } {
  if (width <= BOX && height <= BOX) return { width, height };
  const aspect = width / height;
  const nearest = (exact: number, ratio: (n: number) => number) => {
    const lo = Math.max(Math.floor(exact), 1);
    const hi = Math.max(Math.ceil(exact), 1);
    return Math.abs(aspect - ratio(lo)) <= Math.abs(aspect - ratio(hi)) ? lo : hi;
  };
  if (aspect >= 1) return { width: BOX, height: nearest(BOX / aspect, (n) => BOX / n) };
  return { width: nearest(BOX * aspect, (n) => n / BOX), height: BOX };
}

/** Area-averaging downscale, alpha-weighted so transparent pixels lend no colour. */
function scale(src: Rgba, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 4);
  const fx = src.width / width;
  const fy = src.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * fy);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * fy));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * fx);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * fx));
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      let n = 0;
      for (let sy = y0; sy < y1 && sy < src.height; sy++) {
        for (let sx = x0; sx < x1 && sx < src.width; sx++) {
          const i = (sy * src.width + sx) * 4;
          const alpha = src.data[i + 3]!;
          r += src.data[i]! * alpha;
          g += src.data[i + 1]! * alpha;
          b += src.data[i + 2]! * alpha;
          a += alpha;
          n++;
        }
      }
      const o = (y * width + x) * 4;
      if (a > 0) {
        out[o] = Math.round(r / a);
        out[o + 1] = Math.round(g / a);
        out[o + 2] = Math.round(b / a);
      }
      out[o + 3] = n ? Math.round(a / n) : 0;
    }
  }
  return out;
}

/**
 * The miniature for these embedded thumbnails, or undefined when one of them is 32x32 already,
 * there are none, or the largest cannot be decoded.
 */
export function makeMiniature(thumbs: Thumbnail[]): Thumbnail | undefined {
  if (thumbs.length === 0 || thumbs.some((t) => t.width === BOX && t.height === BOX)) return undefined;
  // The largest in bytes; the first of equals.
  let largest = thumbs[0]!;
  for (const t of thumbs) if (t.data.length > largest.data.length) largest = t;
  try {
    const src = decode(largest);
    if (!src || src.width === 0 || src.height === 0) return undefined;
    const size = fitSize(src.width, src.height);
    const png = new PNG({ width: size.width, height: size.height });
    png.data = scale(src, size.width, size.height);
    const data = PNG.sync.write(png).toString('base64');
    return { width: size.width, height: size.height, size: data.length, data, format: 'png', miniature: true };
  } catch {
    return undefined;
  }
}
