// The archive of server.files.zip, written with yazl: each file is read as a stream while the
// archive streams to disk, so neither the files nor the archive are ever held in memory. The
// archive is written to a temp file beside its destination and renamed into place when complete,
// so a client never sees a half-written zip and a failure leaves nothing behind.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { UPLOAD_TEMP_PREFIX } from './safePath.js';

export interface ZipEntry {
  /** The file on disk. */
  abs: string;
  /** Its name in the archive ("gcodes/sub/part.gcode"). */
  name: string;
  /** Unix seconds, kept in the archive. */
  modified: number;
}

/** Writes `entries` as a zip at `dest` (stored when `storeOnly`, else deflated). */
export async function writeZip(entries: ZipEntry[], dest: string, storeOnly: boolean): Promise<void> {
  // Our temp prefix: the watchers and listings never show it, and a zip of this folder skips it.
  const temp = join(dirname(dest), `${UPLOAD_TEMP_PREFIX}${randomBytes(8).toString('hex')}.zip.part`);
  const zip = new yazl.ZipFile();
  // A file that cannot be read (gone meanwhile) fails the archive rather than stalling it.
  zip.on('error', (err: Error) => (zip.outputStream as Readable).destroy(err));
  for (const e of entries) zip.addFile(e.abs, e.name, { compress: !storeOnly, mtime: new Date(e.modified * 1000) });
  zip.end();
  try {
    await pipeline(zip.outputStream, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, dest);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
