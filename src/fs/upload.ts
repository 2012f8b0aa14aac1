// POST /server/files/upload: a multipart form (fields `file`, `root`, `path`, `print`,
// `checksum`) read by src/fs/multipart.ts and streamed to a temp file in the target folder, so a
// finished upload is placed by a rename on the same filesystem. Nothing but a complete,
// verified upload ever appears under its name: an interrupted, refused, oversized or
// checksum-failing upload, or a full disk, leaves neither the file nor the temp file behind.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { ApiError, clientFsError } from '../transport/apiError.js';
import type { Dialect } from '../transport/requestContext.js';
import { getLogger } from '../logger.js';
import type { FileManager } from './fileManager.js';
import { uploadReply } from './fileShapes.js';
import { relativeSegments, UPLOAD_TEMP_PREFIX } from './safePath.js';
import { boundaryOf, FILE_TOO_LARGE, MultipartReader } from './multipart.js';
import type { RootPath } from './fileRoots.js';

const log = getLogger('upload');

/**
 * The `path` field, relative to the root. Leading slashes are dropped as Moonraker drops them:
 * Fluidd sends `path: /` for the root's own folder. What remains is checked like any path.
 */
const uploadDir = (path: string | undefined): string => (path ?? '').replace(/^\/+/, '');

export interface UploadOptions {
  files: FileManager;
  /** Starts printing `rel` (relative to gcodes) if the printer is idle; true only if it started. */
  startPrint(rel: string): Promise<boolean>;
  /** Largest accepted file, in bytes. */
  maxBytes: number;
}

/** The file part's bytes, written to a temp file whose folder is chosen once the part begins. */
class TempFileSink extends Writable {
  path: string | undefined;
  private fh: FileHandle | undefined;
  readonly hash: Hash | undefined;
  bytes = 0;

  constructor(
    private readonly chooseDir: () => Promise<string | undefined>,
    withHash: boolean,
  ) {
    super({ highWaterMark: 8 * 1024 * 1024 });
    this.hash = withHash ? createHash('sha256') : undefined;
  }

  override _construct(cb: (err?: Error | null) => void): void {
    this.chooseDir().then(
      async (dir) => {
        if (dir === undefined) return cb(); // refused already: the bytes are read and dropped
        this.path = join(dir, `${UPLOAD_TEMP_PREFIX}${randomBytes(8).toString('hex')}.part`);
        this.fh = await open(this.path, 'wx');
        cb();
      },
      (err: Error) => cb(err),
    ).catch((err: Error) => cb(err));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.hash?.update(chunk);
    this.bytes += chunk.length;
    if (!this.fh) return cb();
    writeAll(this.fh, [chunk]).then(() => cb(), cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    for (const b of bufs) {
      this.hash?.update(b);
      this.bytes += b.length;
    }
    if (!this.fh) return cb();
    writeAll(this.fh, bufs).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return cb();
    fh.close().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    const done = () => cb(err);
    if (fh) fh.close().then(done, done);
    else done();
  }

  /** Removes the temp file (after a failure). */
  async discard(): Promise<void> {
    await new Promise<void>((res) => {
      if (this.closed || this.destroyed) return res();
      this.once('close', () => res());
      this.destroy();
    });
    if (this.path) await unlink(this.path).catch(() => undefined);
  }
}

async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let list = bufs;
  while (list.length > 0) {
    const { bytesWritten } = await fh.writev(list);
    let n = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of list) {
      if (n >= b.length) n -= b.length;
      else {
        rest.push(n > 0 ? b.subarray(n) : b);
        n = 0;
      }
    }
    list = rest;
  }
}

function errorFor(err: unknown, maxBytes: number): ApiError {
  if (err instanceof ApiError) {
    return err.message === FILE_TOO_LARGE ? new ApiError(413, `Upload larger than the limit of ${maxBytes} bytes ([server] max_upload_size)`) : err;
  }
  const e = err as { code?: unknown; message?: string };
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') return new ApiError(507, 'Upload failed: no space left on the device');
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') return new ApiError(403, `Upload failed: cannot write there (${e.code})`);
  if (e.code === 'ECONNRESET' || e.code === 'ERR_STREAM_PREMATURE_CLOSE') return new ApiError(400, 'Upload aborted by the client');
  const clientError = clientFsError(err);
  if (clientError) return new ApiError(clientError.status, `Upload failed: ${clientError.message}`);
  return new ApiError(500, `Upload failed: ${e.message ?? String(err)}`);
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), h);
  return h.digest('hex');
}

function sendJson(res: ServerResponse, status: number, body: unknown, close = false, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

/** Scheme, host and port as the client addressed us (for a Location header). */
function originOf(req: IncomingMessage): string {
  const socket = req.socket as { encrypted?: boolean; localAddress?: string; localPort?: number };
  const host = req.headers.host ?? `${socket.localAddress ?? 'localhost'}:${socket.localPort ?? ''}`;
  return `${socket.encrypted ? 'https' : 'http'}://${host}`;
}

/** Handles one upload request from start to reply. */
export async function handleUpload(req: IncomingMessage, res: ServerResponse, dialect: Dialect, opts: UploadOptions): Promise<void> {
  const { files, maxBytes } = opts;
  const boundary = boundaryOf(req.headers['content-type']);
  if (boundary === undefined) {
    req.resume();
    throw new ApiError(400, 'Malformed upload: expected a multipart/form-data body with a boundary');
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) {
    sendJson(res, 413, { error: { code: 413, message: `Upload larger than the limit of ${maxBytes} bytes ([server] max_upload_size)` } }, true);
    res.once('finish', () => req.destroy());
    return;
  }

  const fields: Record<string, string> = {};
  let sink: TempFileSink | undefined;
  let refusal: ApiError | undefined;
  let fileParts = 0;
  let originalFilename: string | undefined;

  /** The folder for the temp file: the target folder when the fields name it already, else the root. */
  const chooseDir = async (): Promise<string | undefined> => {
    try {
      const root = files.roots.writable((fields.root ?? 'gcodes').toLowerCase());
      const dirSegs = relativeSegments(uploadDir(fields.path), 'upload path');
      const dir = await files.roots.resolve(root.name, dirSegs, { write: true, what: 'upload path' });
      const st = await stat(dir.abs).catch(() => undefined);
      return st?.isDirectory() ? dir.abs : root.path;
    } catch (err) {
      refusal = errorFor(err, maxBytes);
      return undefined;
    }
  };

  let fail: (err: unknown) => void = () => undefined;
  const reader = new MultipartReader(
    boundary,
    {
      field: (name, value) => {
        fields[name] = value;
      },
      fileBegin: (part) => {
        if (part.name !== 'file') return { write: () => true, end: () => undefined };
        if (++fileParts > 1) throw new ApiError(400, 'Malformed upload: only one file per upload');
        // Browsers on Windows once sent the whole client path: keep the name.
        originalFilename = part.filename?.slice(part.filename.lastIndexOf('\\') + 1);
        sink = new TempFileSink(chooseDir, fields.checksum !== undefined);
        sink.on('error', (err) => fail(err));
        return sink;
      },
    },
    { maxFileBytes: maxBytes },
  );

  try {
    await new Promise<void>((resolve, reject) => {
      fail = reject;
      let paused = false;
      req.on('data', (chunk: Buffer) => {
        try {
          if (!reader.write(chunk) && !paused && sink) {
            paused = true;
            req.pause();
            sink.once('drain', () => {
              paused = false;
              req.resume();
            });
          }
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      req.on('end', () => {
        try {
          reader.end();
          resolve();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      req.on('error', reject);
      req.on('close', () => {
        if (!req.complete) reject(new ApiError(400, 'Upload aborted by the client'));
      });
    });
    if (sink && !sink.closed) await finished(sink);
  } catch (err) {
    req.removeAllListeners('data');
    await sink?.discard();
    const e = errorFor(err, maxBytes);
    if (e.status >= 500) log.error(`upload failed: ${e.message}`);
    else log.info(`upload refused: ${e.message}`);
    if (!req.complete && !req.destroyed) {
      sendJson(res, e.status, { error: { code: e.status, message: e.message } }, true);
      res.once('finish', () => req.destroy());
    } else {
      sendJson(res, e.status, { error: { code: e.status, message: e.message } });
    }
    return;
  }


  let placed: RootPath | undefined;
  let release: (() => void) | undefined;
  try {
    if (refusal) throw refusal;
    if (!sink || fileParts === 0) throw new ApiError(400, "Malformed upload: no file part named 'file'");
    if (sink.errored) throw sink.errored;
    if (!originalFilename) throw new ApiError(400, 'Multipart filename omitted');
    const root = files.roots.writable((fields.root ?? 'gcodes').toLowerCase());
    const dirSegs = relativeSegments(uploadDir(fields.path), 'upload path');
    const nameSegs = relativeSegments(originalFilename, 'upload filename');
    if (nameSegs.length === 0) throw new ApiError(400, `Invalid upload filename '${originalFilename}'`);
    // The `path` field's folders are created; folders inside the filename must exist.
    const dir = await files.roots.resolve(root.name, dirSegs, { write: true, what: 'upload path' });
    await mkdir(dir.abs, { recursive: true });
    const target = await files.roots.resolve(root.name, [...dirSegs, ...nameSegs], { write: true, what: 'upload filename' });
    const parent = await stat(join(target.abs, '..')).catch(() => undefined);
    if (!parent?.isDirectory()) throw new ApiError(404, `Directory does not exist for ${root.name}/${target.rel}`);
    const existing = await stat(target.abs).catch(() => undefined);
    if (existing?.isDirectory()) throw new ApiError(400, `Cannot upload over a directory (${root.name}/${target.rel})`);
    files.inUse.check(root.name, target.rel);

    if (fields.checksum !== undefined) {
      const expected = fields.checksum.trim().toLowerCase();
      const calculated = sink.hash ? sink.hash.digest('hex') : await sha256Of(sink.path!);
      if (calculated !== expected) throw new ApiError(422, `File checksum mismatch: expected ${expected}, calculated ${calculated}`);
    }

    release = files.holdPath(target);
    try {
      await rename(sink.path!, target.abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // The temp file's folder is on another filesystem: copy into place, via a temp there.
      const near = join(dir.abs, `${UPLOAD_TEMP_PREFIX}${randomBytes(8).toString('hex')}.part`);
      try {
        await copyFile(sink.path!, near);
        await rename(near, target.abs);
      } catch (e) {
        await unlink(near).catch(() => undefined);
        throw e;
      }
      await unlink(sink.path!).catch(() => undefined);
    }
    placed = target;
    const change = await files.commitUpload(target);
    release();
    release = undefined;
    let printStarted: boolean | undefined;
    if (root.name === 'gcodes') {
      printStarted = fields.print?.toLowerCase() === 'true' ? await opts.startPrint(target.rel) : false;
    }
    const reply = uploadReply(change, printStarted, dialect, originOf(req));
    sendJson(res, reply.status, reply.body, false, reply.headers);
  } catch (err) {
    release?.();
    if (!placed) await sink?.discard();
    const e = errorFor(err, maxBytes);
    if (e.status >= 500) log.error(`upload failed: ${e.message}`);
    sendJson(res, e.status, { error: { code: e.status, message: e.message } });
  }
}
