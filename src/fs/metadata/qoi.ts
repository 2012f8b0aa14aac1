// QOI ("Quite OK Image", qoiformat.org) decoding and a minimal PNG encoder. PrusaSlicer and
// Cura plugins may embed QOI thumbnails, which no browser shows; the metadata gives clients
// PNG instead, as they have always received.
import { deflateSync } from 'node:zlib';

const QOI_OP_INDEX = 0x00;
const QOI_OP_DIFF = 0x40;
const QOI_OP_LUMA = 0x80;
const QOI_OP_RUN = 0xc0;
const QOI_OP_RGB = 0xfe;
const QOI_OP_RGBA = 0xff;
const QOI_MASK = 0xc0;

/** Decodes a QOI image to RGBA pixels. Throws on a malformed header or short data. */
export function decodeQoi(buf: Buffer): { width: number; height: number; rgba: Buffer } {
  if (buf.length < 14 + 8 || buf.toString('latin1', 0, 4) !== 'qoif') throw new Error('not a QOI image');
  const width = buf.readUInt32BE(4);
  const height = buf.readUInt32BE(8);
  if (width === 0 || height === 0 || width * height > 16_000_000) throw new Error('bad QOI size');
  const total = width * height * 4;
  const rgba = Buffer.alloc(total);
  const index = new Uint8Array(64 * 4);
  let r = 0;
  let g = 0;
  let b = 0;
  let a = 255;
  let run = 0;
  let p = 14;
  const end = buf.length - 8;
  for (let px = 0; px < total; px += 4) {
    if (run > 0) {
      run--;
    } else if (p < end) {
      const b1 = buf[p++]!;
      if (b1 === QOI_OP_RGB) {
        r = buf[p++]!;
        g = buf[p++]!;
        b = buf[p++]!;
      } else if (b1 === QOI_OP_RGBA) {
        r = buf[p++]!;
        g = buf[p++]!;
        b = buf[p++]!;
        a = buf[p++]!;
      } else if ((b1 & QOI_MASK) === QOI_OP_INDEX) {
        const i = (b1 & 0x3f) * 4;
        r = index[i]!;
        g = index[i + 1]!;
        b = index[i + 2]!;
        a = index[i + 3]!;
      } else if ((b1 & QOI_MASK) === QOI_OP_DIFF) {
        r = (r + ((b1 >> 4) & 0x03) - 2) & 0xff;
        g = (g + ((b1 >> 2) & 0x03) - 2) & 0xff;
        b = (b + (b1 & 0x03) - 2) & 0xff;
      } else if ((b1 & QOI_MASK) === QOI_OP_LUMA) {
        const b2 = buf[p++]!;
        const vg = (b1 & 0x3f) - 32;
        r = (r + vg - 8 + ((b2 >> 4) & 0x0f)) & 0xff;
        g = (g + vg) & 0xff;
        b = (b + vg - 8 + (b2 & 0x0f)) & 0xff;
      } else if ((b1 & QOI_MASK) === QOI_OP_RUN) {
        run = b1 & 0x3f;
      }
      const h = ((r * 3 + g * 5 + b * 7 + a * 11) % 64) * 4;
      index[h] = r;
      index[h + 1] = g;
      index[h + 2] = b;
      index[h + 3] = a;
    } else {
      throw new Error('QOI data ends early');
    }
    rgba[px] = r;
    rgba[px + 1] = g;
    rgba[px + 2] = b;
    rgba[px + 3] = a;
  }
  return { width, height, rgba };
}

let crcTable: Uint32Array | undefined;

function crc32(data: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** Encodes RGBA pixels as a PNG (8-bit RGBA, no filtering). */
export function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (stride + 1) + 1, y * stride, y * stride + stride);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function qoiToPng(qoi: Buffer): Buffer {
  const { width, height, rgba } = decodeQoi(qoi);
  return encodePng(width, height, rgba);
}
