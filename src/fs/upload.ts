// The file side of an upload (POST /server/files/upload; the HTTP side is httpUpload.ts in the
// transport layer): a multipart form body (fields `file`, `root`, `path`, `print`,
// `checksum`) read by src/fs/multipart.ts and streamed to a temp file in the target folder, so a
// finished upload is placed by a rename on the same filesystem. Nothing but a complete,
// verified upload ever appears under its name: an interrupted, refused, oversized or
// checksum-failing upload, or a full disk, leaves neither the file nor the temp file behind.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readlink, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { badRequest, forbidden, notFound, conflict, tooLarge, unprocessable, insufficientStorage, ServerError } from '../shared/errors.js';
import { fsApiError } from './fsErrors.js';
import type { UploadSource } from '../shared/fileTransfer.js';
import type { FileManager } from './fileManager.js';
import type { FileChange } from './fileTypes.js';
import { isUploadTemp, relativeSegments } from './safePath.js';
import { copyOver, syncDir, tempName, withPinned } from './safeWrite.js';
import { boundaryOf, MultipartReader } from './multipart.js';
import type { RootPath } from './fileRoots.js';

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
  /** fsync each upload and its folder before acknowledging it (default true; off only to measure the cost). */
  durable?: boolean;
}

/**
 * While a durable upload streams in, its bytes are pushed to the disk every this many bytes in
 * the background, so the fsync before the reply waits only for the last stretch instead of the
 * whole file: the network and the disk work at the same time.
 */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;

/** The file part's bytes, written to a temp file whose folder is chosen once the part begins. */
class TempFileSink extends Writable {
  path: string | undefined;
  private fh: FileHandle | undefined;
  /** The temp file once every byte is written and synced, held open until it is placed. */
  private written: FileHandle | undefined;
  readonly hash: Hash | undefined;
  bytes = 0;
  private unsynced = 0;
  private syncing: Promise<void> | undefined;
  private syncError: Error | undefined;

  constructor(
    private readonly chooseDir: () => Promise<{ root: string; dir: string } | undefined>,
    withHash: boolean,
    /** fsync the bytes before the upload is acknowledged. */
    private readonly durable: boolean,
  ) {
    super({ highWaterMark: 8 * 1024 * 1024 });
    this.hash = withHash ? createHash('sha256') : undefined;
  }

  override _construct(cb: (err?: Error | null) => void): void {
    this.chooseDir().then(
      async (where) => {
        if (where === undefined) return cb(); // refused already: the bytes are read and dropped
        const name = tempName();
        // Made in the folder that was checked, even if it was swapped for a link meanwhile.
        this.fh = await withPinned(where.root, join(where.dir, name), (at) => open(at.path, 'wx'));
        this.path = join(where.dir, name);
        cb();
      },
      (err: Error) => cb(err),
    ).catch((err: Error) => cb(err));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.hash?.update(chunk);
    this.bytes += chunk.length;
    if (!this.fh) return cb();
    writeAll(this.fh, [chunk]).then(() => this.afterWrite(chunk.length, cb), cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    for (const b of bufs) {
      this.hash?.update(b);
      this.bytes += b.length;
    }
    if (!this.fh) return cb();
    const n = bufs.reduce((a, b) => a + b.length, 0);
    writeAll(this.fh, bufs).then(() => this.afterWrite(n, cb), cb);
  }

  /** After a write: starts a background sync when enough has piled up; reports one that failed. */
  private afterWrite(n: number, cb: (err?: Error | null) => void): void {
    if (this.syncError) return cb(this.syncError);
    this.unsynced += n;
    const fh = this.fh;
    if (this.durable && fh && !this.syncing && this.unsynced >= SYNC_EVERY_BYTES) {
      this.unsynced = 0;
      this.syncing = fh.datasync().then(
        () => {
          this.syncing = undefined;
        },
        (err: Error) => {
          this.syncError = err;
          this.syncing = undefined;
        },
      );
    }
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return cb();
    this.written = fh;
    const done = async () => {
      await this.syncing;
      if (this.syncError) throw this.syncError;
      if (this.durable) await fh.sync();
    };
    done().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    const done = () => cb(err);
    // A background sync still running holds the file open: close after it.
    const closing = Promise.resolve(this.syncing).then(() => fh?.close());
    closing.then(done, done);
  }

  /**
   * True while the temp file is still where it was made: a user (or a client's move) may have
   * moved or deleted its folder during the upload, and then it must not be placed.
   */
  async inPlace(): Promise<boolean> {
    if (!this.written || !this.path) return false;
    const [mine, there] = await Promise.all([this.written.stat(), stat(this.path).catch(() => undefined)]);
    return there !== undefined && there.ino === mine.ino && there.dev === mine.dev;
  }

  /** Closes the placed file. */
  async release(): Promise<void> {
    const fh = this.written;
    this.written = undefined;
    await fh?.close().catch(() => undefined);
  }

  /** Removes the temp file (after a failure), wherever its folder went meanwhile. */
  async discard(): Promise<void> {
    // Asked while the file is still open (destroying the stream closes it).
    const at = await this.whereNow();
    await new Promise<void>((res) => {
      if (this.closed || this.destroyed) return res();
      this.once('close', () => res());
      this.destroy();
    });
    await this.release();
    for (const p of new Set([this.path, at])) if (p !== undefined) await unlink(p).catch(() => undefined);
  }

  /** Where the open temp file is now; Linux's /proc follows it when its folder moves. */
  private async whereNow(): Promise<string | undefined> {
    const fd = (this.written ?? this.fh)?.fd;
    if (fd === undefined || fd < 0) return undefined;
    const at = await readlink(`/proc/self/fd/${fd}`).catch(() => undefined);
    return at !== undefined && at.startsWith('/') && isUploadTemp(basename(at)) ? at : undefined;
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

const overLimit = (maxBytes: number) => tooLarge(`Upload larger than the limit of ${maxBytes} bytes ([server] max_upload_size)`);

function errorFor(err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  const e = err as { code?: unknown; message?: string };
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') return insufficientStorage('Upload failed: no space left on the device');
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') return forbidden(`Upload failed: cannot write there (${e.code})`);
  if (e.code === 'ECONNRESET' || e.code === 'ERR_STREAM_PREMATURE_CLOSE') return badRequest('Upload aborted by the client');
  const fsError = fsApiError(err);
  return new ServerError(fsError.kind, `Upload failed: ${fsError.message}`);
}

/** The upload's folder went away (moved or deleted by someone else) before it could be placed. */
const movedAway = () => conflict('Upload failed: its folder was moved or deleted during the upload');


async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), h);
  return h.digest('hex');
}

/** What an upload made: the file's change, and whether it is printing (undefined outside gcodes). */
export interface Uploaded {
  change: FileChange;
  printStarted: boolean | undefined;
}

/**
 * Reads one upload's body and places its file; what was made is returned (the caller shapes the
 * reply), a refusal or failure is thrown (a ServerError) once nothing of the upload is left on disk.
 */
export async function handleUpload(source: UploadSource, opts: UploadOptions): Promise<Uploaded> {
  const { files, maxBytes } = opts;
  const { body } = source;
  const durable = opts.durable ?? true;
  const boundary = boundaryOf(source.contentType);
  if (boundary === undefined) {
    // Refused at sight, but the client may keep its connection: the body is read and dropped.
    body.resume();
    throw badRequest('Malformed upload: expected a multipart/form-data body with a boundary');
  }
  // Refused before a byte is read (the multipart framing may add a little to the file's size).
  if (source.declaredLength !== undefined && source.declaredLength > maxBytes + 64 * 1024) throw overLimit(maxBytes);

  // Field names come from the client: a null-prototype record, so `fields.checksum` is only ever a field sent.
  const fields = Object.create(null) as Record<string, string>;
  let sink: TempFileSink | undefined;
  let refusal: ServerError | undefined;
  let fileParts = 0;
  let originalFilename: string | undefined;

  /** The folder for the temp file: the target folder when the fields name it already, else the root. */
  const chooseDir = async (): Promise<{ root: string; dir: string } | undefined> => {
    try {
      const root = files.roots.writable((fields.root ?? 'gcodes').toLowerCase());
      const dirSegs = relativeSegments(uploadDir(fields.path), 'upload path');
      const dir = await files.roots.resolve(root.name, dirSegs, { write: true, what: 'upload path' });
      const st = await stat(dir.abs).catch(() => undefined);
      return { root: root.path, dir: st?.isDirectory() ? dir.abs : root.path };
    } catch (err) {
      refusal = errorFor(err);
      return undefined;
    }
  };

  let fail: (err: unknown) => void = () => undefined;
  let onData: (chunk: Buffer) => void = () => undefined;
  const reader = new MultipartReader(
    boundary,
    {
      field: (name, value) => {
        fields[name] = value;
      },
      fileBegin: (part) => {
        if (part.name !== 'file') return { write: () => true, end: () => undefined };
        if (++fileParts > 1) throw badRequest('Malformed upload: only one file per upload');
        // Browsers on Windows once sent the whole client path: keep the name.
        originalFilename = part.filename?.slice(part.filename.lastIndexOf('\\') + 1);
        sink = new TempFileSink(chooseDir, fields.checksum !== undefined, durable);
        sink.on('error', (err) => fail(err));
        return sink;
      },
    },
    { maxFileBytes: maxBytes, fileTooLarge: () => overLimit(maxBytes) },
  );

  try {
    await new Promise<void>((resolve, reject) => {
      fail = reject;
      let paused = false;
      onData = (chunk: Buffer) => {
        try {
          // Wait for the file to drain only while it can still drain: a sink that the same chunk
          // ended (its part was complete) never emits 'drain', and a body paused for it would
          // never reach 'end' (the last stretch of a large durable upload hung so).
          if (!reader.write(chunk) && !paused && sink && !sink.writableEnded) {
            paused = true;
            body.pause();
            sink.once('drain', () => {
              paused = false;
              body.resume();
            });
          }
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      body.on('data', onData);
      body.on('end', () => {
        try {
          reader.end();
          resolve();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      body.on('error', reject);
      // The client stalled or hung up: the body will not end, and may emit nothing more.
      const abandoned = () => {
        const why: unknown = source.abandoned.reason;
        reject(why instanceof Error ? why : badRequest('Upload aborted'));
      };
      if (source.abandoned.aborted) abandoned();
      else source.abandoned.addEventListener('abort', abandoned, { once: true });
    });
    if (sink && !sink.closed) await finished(sink);
  } catch (err) {
    // The rest of a failed body is not wanted: left paused, it is dropped with the connection.
    body.off('data', onData);
    body.pause();
    await sink?.discard();
    throw errorFor(err);
  }


  let placed: RootPath | undefined;
  let release: (() => void) | undefined;
  try {
    if (refusal) throw refusal;
    if (!sink || fileParts === 0) throw badRequest("Malformed upload: no file part named 'file'");
    if (sink.errored) throw sink.errored;
    if (!originalFilename) throw badRequest('Multipart filename omitted');
    const root = files.roots.writable((fields.root ?? 'gcodes').toLowerCase());
    const dirSegs = relativeSegments(uploadDir(fields.path), 'upload path');
    const nameSegs = relativeSegments(originalFilename, 'upload filename');
    if (nameSegs.length === 0) throw badRequest(`Invalid upload filename '${originalFilename}'`);
    // The `path` field's folders are created; folders inside the filename must exist.
    const dir = await files.roots.resolve(root.name, dirSegs, { write: true, what: 'upload path' });
    await mkdir(dir.abs, { recursive: true });
    const target = await files.roots.resolve(root.name, [...dirSegs, ...nameSegs], { write: true, what: 'upload filename' });
    const parent = await stat(join(target.abs, '..')).catch(() => undefined);
    if (!parent?.isDirectory()) throw notFound(`Directory does not exist for ${root.name}/${target.rel}`);
    const existing = await stat(target.abs).catch(() => undefined);
    if (existing?.isDirectory()) throw badRequest(`Cannot upload over a directory (${root.name}/${target.rel})`);
    files.inUse.check(root.name, target.rel);

    if (!(await sink.inPlace())) throw movedAway();
    if (fields.checksum !== undefined) {
      const expected = fields.checksum.trim().toLowerCase();
      const calculated = sink.hash ? sink.hash.digest('hex') : await sha256Of(sink.path!);
      if (calculated !== expected) throw unprocessable(`File checksum mismatch: expected ${expected}, calculated ${calculated}`);
    }

    release = files.holdPath(target);
    if (!(await sink.inPlace())) throw movedAway();
    const tempPath = sink.path!;
    // The target named through its folder held open (src/fs/safeWrite.ts): a folder swapped for
    // a symlink since the path was resolved cannot send the upload out of the root.
    await withPinned(root.path, target.abs, async (to) => {
      try {
        await rename(tempPath, to.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw movedAway();
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        // The temp file's folder is on another filesystem: copy into place, via a temp there.
        await copyOver(tempPath, to.path, durable);
        await unlink(tempPath).catch(() => undefined);
      }
      // The new name is on disk before the client hears of it.
      if (durable) await syncDir(to.dir);
    });
    await sink.release();
    placed = target;
    const change = await files.commitUpload(target);
    release();
    release = undefined;
    let printStarted: boolean | undefined;
    if (root.name === 'gcodes') {
      printStarted = fields.print?.toLowerCase() === 'true' ? await opts.startPrint(target.rel) : false;
    }
    return { change, printStarted };
  } catch (err) {
    release?.();
    if (!placed) await sink?.discard();
    throw errorFor(err);
  }
}
