// fsync of one path, a file's bytes or a folder's entries: the one place every durable write
// (uploads, file operations, the database's backups and swaps, object processing) flushes
// through, so "an acknowledged write is on disk" means the same everywhere.
import { open } from 'node:fs/promises';

/** Flushes a file's data, or a folder's entries (so a rename or a new name in it survives a crash). */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
