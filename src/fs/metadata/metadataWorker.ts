// The metadata worker thread: reads the two ends of a gcode file, extracts its metadata and
// writes its thumbnails beside it, off the server's event loop. One message in ({id, path, root}), one
// out ({id, result} or {id, error}).
import { parentPort } from 'node:worker_threads';
import { open } from 'node:fs/promises';
import { extractMetadata, METADATA_READ_SIZE } from './gcodeMetadata.js';
import { writeThumbnails } from './thumbnailFiles.js';
import type { StoredMetadata } from '../fileShapes.js';

export interface WorkerRequest {
  id: number;
  path: string;
  /** The root the file is in: thumbnails are written only inside it. */
  root: string;
}

export interface WorkerResult {
  size: number;
  /** Unix seconds, float. */
  modified: number;
  metadata: Omit<StoredMetadata, 'size' | 'modified'>;
}

export type WorkerReply = { id: number; result: WorkerResult } | { id: number; error: string; code?: string };

/** Reads the first and last METADATA_READ_SIZE bytes (the whole file when small) and parses them. */
export async function readMetadata(path: string, root: string): Promise<WorkerResult> {
  const read = await readEnds(path);
  const { thumbnails, ...fields } = read.metadata;
  if (!thumbnails) return { ...read, metadata: fields };
  return { ...read, metadata: { ...fields, thumbnails: await writeThumbnails(root, path, thumbnails) } };
}

async function readEnds(path: string) {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error(`not a file: ${path}`), { code: 'EISDIR' });
    const size = st.size;
    const headLen = Math.min(size, METADATA_READ_SIZE);
    const head = Buffer.alloc(headLen);
    await fh.read(head, 0, headLen, 0);
    let tail = head;
    if (size > headLen) {
      const tailLen = Math.min(size, METADATA_READ_SIZE);
      tail = Buffer.alloc(tailLen);
      await fh.read(tail, 0, tailLen, size - tailLen);
    }
    const headText = head.toString('latin1');
    const tailText = tail === head ? headText : tail.toString('latin1');
    return { size, modified: st.mtimeMs / 1000, metadata: extractMetadata(headText, tailText) };
  } finally {
    await fh.close();
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (req: WorkerRequest) => {
    readMetadata(req.path, req.root).then(
      (result) => port.postMessage({ id: req.id, result } satisfies WorkerReply),
      (err: NodeJS.ErrnoException) => port.postMessage({ id: req.id, error: err.message, code: err.code } satisfies WorkerReply),
    );
  });
}
