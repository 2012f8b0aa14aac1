// The HTTP side of a download endpoint: streams the file its handler opened (FileToSend) with
// Content-Type from the extension, Content-Length, Content-Disposition attachment, and single
// byte ranges (206, or 416 when unsatisfiable).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FileToSend } from '../shared/fileTransfer.js';
import { getLogger } from '../logger.js';

const log = getLogger('download');

const TYPES: Record<string, string> = {
  '.gcode': 'text/plain; charset=utf-8',
  '.g': 'text/plain; charset=utf-8',
  '.gco': 'text/plain; charset=utf-8',
  '.cfg': 'text/plain; charset=utf-8',
  '.conf': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.zip': 'application/zip',
};

export const contentTypeOf = (path: string) => TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

/** `attachment; filename="x"` with an RFC 5987 form for names that are not plain ASCII. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return ascii === name && !/["\\]/.test(name) ? `attachment; filename="${name}"` : `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The one byte range of a Range header, null when absent or ignored, 'invalid' when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null; // several ranges or another unit: send the whole file, as RFC 9110 allows
  const [, a, b] = m;
  if (a === '' && b === '') return null;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return null;
  }
  if (start >= size || size === 0) return 'invalid';
  return { start, end };
}

/** Sends `file` (and closes it, whatever happens). */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: FileToSend): Promise<void> {
  try {
    await send(req, res, file);
  } finally {
    await file.handle.close().catch(() => undefined);
  }
}

async function send(req: IncomingMessage, res: ServerResponse, file: FileToSend): Promise<void> {
  const name = file.name;
  const range = parseRange(req.headers.range, file.size);
  const headers: Record<string, string | number> = {
    'Content-Type': contentTypeOf(name),
    'Content-Disposition': contentDisposition(name),
    'Accept-Ranges': 'bytes',
    'Last-Modified': new Date(file.modified * 1000).toUTCString(),
  };
  if (range === 'invalid') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? file.size - 1;
  const length = file.size === 0 ? 0 : end - start + 1;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
  headers['Content-Length'] = length;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(file.handle.createReadStream({ start, end, highWaterMark: 256 * 1024, autoClose: false }), res);
  } catch (err) {
    // The client went away, or the file shrank under us: nothing more can be said on this reply.
    log.debug(`download of ${name} ended early: ${(err as Error).message}`);
    res.destroy();
  }
}
