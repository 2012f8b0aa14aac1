// A download's file, described from the open file itself (size, time, kind), so the reply's
// headers say what is really sent.
import { open, type FileHandle } from 'node:fs/promises';
import type { FileToSend } from '../shared/fileTransfer.js';
import { ServerError, notFound } from '../shared/errors.js';

/** `fh` as a FileToSend, or closed and `notAFile()` thrown when it is not a regular file. */
export async function describeOpen(fh: FileHandle, name: string, notAFile: () => ServerError): Promise<FileToSend> {
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notAFile();
    return { handle: fh, size: st.size, modified: st.mtimeMs / 1000, name };
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

/** A file outside the roots the server itself names (its logs), opened; 404 when it is not there. */
export async function openOwnFile(path: string | undefined, name: string): Promise<FileToSend> {
  const gone = () => notFound(`${name} is not available`);
  if (path === undefined) throw gone();
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) throw gone();
  return describeOpen(fh, name, gone);
}
