// The metadata worker thread: reads the two ends of a gcode file, extracts its metadata and
// writes its thumbnails beside it, off the server's event loop. One message in ({id, path, root}), one
// out ({id, result} or {id, error}).
import { parentPort } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { gcodeStartByte } from './gcodeBounds.js';
import { extractMetadata, METADATA_READ_SIZE } from './gcodeMetadata.js';
import { makeMiniature } from './miniature.js';
import { OBJECT_PROCESSOR, processedBefore, processObjects } from './objectProcessing.js';
import { writeThumbnails } from './thumbnailFiles.js';
import type { StoredMetadata } from '../fileTypes.js';

export interface WorkerRequest {
  id: number;
  path: string;
  /** The root the file is in: thumbnails are written only inside it. */
  root: string;
  /** [file_manager] enable_object_processing: add exclude_object lines first (objectProcessing.ts). */
  processObjects?: boolean;
}

export interface WorkerResult {
  size: number;
  /** Unix seconds, float. */
  modified: number;
  metadata: Omit<StoredMetadata, 'size' | 'modified'>;
}

/** How far the header is read when it holds no command yet (Moonraker reads 1 MiB of it). */
const MAX_HEAD_SIZE = 4 * METADATA_READ_SIZE;

export type WorkerReply = { id: number; result: WorkerResult } | { id: number; error: string; code?: string };

/**
 * Reads the first and last METADATA_READ_SIZE bytes (the whole file when small) and parses them;
 * with `processObjects`, the file gets its exclude_object lines first and is read again if it changed.
 */
export async function readMetadata(path: string, root: string, withObjects = false): Promise<WorkerResult> {
  let read = await readEnds(path);
  const processors: string[] = [];
  if (withObjects) {
    // A file that cannot be processed (it changed meanwhile, the disk is full) keeps its metadata.
    if (await processObjects(root, path, read.headText).catch(() => false)) {
      processors.push(OBJECT_PROCESSOR);
      read = await readEnds(path);
    }
  } else if (processedBefore(read.headText)) {
    // Processed before (here or elsewhere): Moonraker lists it whether or not it would process.
    processors.push(OBJECT_PROCESSOR);
  }
  const { thumbnails, ...parsed } = read.metadata;
  // As Moonraker: a fresh uuid per parse (clients key their caches on it), and the processors
  // that ran on the file (or had before).
  const fields = { uuid: randomUUID(), file_processors: processors, ...parsed };
  const stat = { size: read.size, modified: read.modified };
  if (!thumbnails) return { ...stat, metadata: fields };
  // Moonraker lists the miniature it makes first.
  const miniature = makeMiniature(thumbnails);
  const all = miniature ? [miniature, ...thumbnails] : thumbnails;
  return { ...stat, metadata: { ...fields, thumbnails: await writeThumbnails(root, path, all) } };
}

async function readEnds(path: string) {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error(`not a file: ${path}`), { code: 'EISDIR' });
    const size = st.size;
    let headLen = Math.min(size, METADATA_READ_SIZE);
    let head = Buffer.alloc(headLen);
    await fh.read(head, 0, headLen, 0);
    // Large thumbnails can push the first command past the usual read: read on (to a limit), so
    // the header's thumbnails and gcode_start_byte are not lost.
    let headText = head.toString('latin1');
    while (headLen < size && headLen < MAX_HEAD_SIZE && gcodeStartByte(headText, size) === undefined) {
      const more = Math.min(size, MAX_HEAD_SIZE, headLen * 2);
      const grown = Buffer.alloc(more);
      head.copy(grown);
      await fh.read(grown, headLen, more - headLen, headLen);
      head = grown;
      headLen = more;
      headText = head.toString('latin1');
    }
    let tail = head;
    if (size > headLen) {
      const tailLen = Math.min(size, METADATA_READ_SIZE);
      tail = Buffer.alloc(tailLen);
      await fh.read(tail, 0, tailLen, size - tailLen);
    }
    const tailText = tail === head ? headText : tail.toString('latin1');
    return { size, modified: st.mtimeMs / 1000, headText, metadata: extractMetadata(headText, tailText, size) };
  } finally {
    await fh.close();
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (req: WorkerRequest) => {
    readMetadata(req.path, req.root, req.processObjects).then(
      (result) => port.postMessage({ id: req.id, result } satisfies WorkerReply),
      (err: NodeJS.ErrnoException) => port.postMessage({ id: req.id, error: err.message, code: err.code } satisfies WorkerReply),
    );
  });
}
