// The LMDB data file as a file: can it be trusted before LMDB maps it, and how to put a new one
// in place so that a kill at any moment leaves either the old file or the new one, whole.
// LMDB maps its file into memory: a file shorter than its own meta page says (a torn copy) makes
// the process die with SIGBUS on the first read past the end, and a 0-byte file is silently taken
// for a new, empty store. Both are caught here before LMDB sees the file.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { spawn, spawnSync } from 'node:child_process';
import { fsyncPath } from '../util/fsync.js';

/** LMDB's meta pages start with this magic number, right after the page header. */
const LMDB_MAGIC = 0xbeefc0de;
/** Page header sizes of the LMDB builds we may meet (0.9: 16 bytes; lmdb-js's build: 24). */
const HEADER_SIZES = [16, 24, 32];

/** The data format version lmdb-js's LMDB writes; another one crashed the process (SIGSEGV) on open. */
const LMDB_DATA_VERSIONS = new Set([1, 2]);

interface Meta {
  version: number;
  pageSize: number;
  lastPage: bigint;
  txnId: bigint;
}

/**
 * One meta page at `at`, or undefined when it holds no LMDB magic. Layout after the page header
 * (MDB_meta): magic u32, version u32, address u64, mapsize u64, two MDB_db of 48 bytes each (the
 * first one's pad holds the page size), last page number u64, transaction id u64.
 */
function readMeta(buf: Buffer, at: number): Meta | undefined {
  for (const h of HEADER_SIZES) {
    const m = at + h;
    if (m + 136 > buf.length || buf.readUInt32LE(m) !== LMDB_MAGIC) continue;
    return { version: buf.readUInt32LE(m + 4), pageSize: buf.readUInt32LE(m + 24), lastPage: buf.readBigUInt64LE(m + 120), txnId: buf.readBigUInt64LE(m + 128) };
  }
  return undefined;
}

/**
 * Why the LMDB data file at `file` cannot be opened safely, or undefined if its meta pages are
 * sound and the file is as long as they say. Reads at most two pages.
 */
export function storeFileProblem(file: string): string | undefined {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return 'not a file';
    const size = st.size;
    if (size === 0) return 'the file is empty';
    const head = Buffer.alloc(Math.min(size, 2 * 65536));
    readSync(fd, head, 0, head.length, 0);
    const first = readMeta(head, 0);
    if (!first) return 'no LMDB header';
    if (!LMDB_DATA_VERSIONS.has(first.version)) return `unknown LMDB format version ${first.version}`;
    const ps = first.pageSize;
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)) !== 0) return 'invalid page size in the header';
    if (size < 2 * ps) return `the file is cut short (${size} bytes)`;
    const second = readMeta(head, ps);
    // LMDB opens the meta page with the newer transaction; both must be readable to choose.
    if (!second) return 'damaged second meta page';
    const meta = second.txnId > first.txnId ? second : first;
    const needed = (meta.lastPage + 1n) * BigInt(ps);
    if (BigInt(size) < needed) return `the file is cut short (${size} of ${needed} bytes)`;
    return undefined;
  } finally {
    closeSync(fd);
  }
}


/**
 * Puts `from` in place of `to` durably: the new file's bytes are on disk before the rename, and
 * the rename is on disk (its folder synced) before this resolves. A kill at any point leaves
 * either the old `to` or the new one, never a part of either.
 */
export async function durableReplace(from: string, to: string, folder: string): Promise<void> {
  await fsyncPath(from);
  await rename(from, to);
  await fsyncPath(folder);
}

/**
 * Opens a candidate store in a throwaway process, reads every value and lists its namespaces.
 * lmdb's native code can crash the whole process on a damaged file, and neither a restore nor a
 * start may take the server down. Asynchronous: reading a large store takes a while, and the
 * event loop keeps serving meanwhile.
 */
function probeCode(dir: string): string {
  const lmdbUrl = import.meta.resolve('lmdb');
  return `
    const { open } = await import(${JSON.stringify(lmdbUrl)});
    const root = open({ path: ${JSON.stringify(dir)}, maxDbs: 8, encoding: 'json', readOnly: false, overlappingSync: false });
    const items = root.openDB({ name: 'items', encoding: 'json' });
    const seen = new Set();
    // Reading every value, not just the keys, finds damaged data pages before we trust them.
    for (const { key } of items.getRange({})) if (Array.isArray(key)) seen.add(String(key[0]));
    process.stdout.write(JSON.stringify([...seen]));
    await root.close();`;
}

export function probeNamespaces(dir: string): Promise<string[]> {
  const code = probeCode(dir);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (status !== 0) {
        // The reader's own message names server paths: it stays out of the client's error.
        reject(new Error(signal ? `the file crashed the database reader (${signal})` : 'the database reader could not read it'));
        return;
      }
      try {
        resolve(JSON.parse(out) as string[]);
      } catch {
        reject(new Error('unreadable'));
      }
    });
  });
}

/**
 * The same check, synchronously, for the start after a crash: nothing is served yet, and the
 * store must not be opened in this process before it is known to be sound. Returns the problem
 * found, or undefined.
 */
export function probeProblemSync(dir: string): string | undefined {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probeCode(dir)], { stdio: ['ignore', 'ignore', 'ignore'], timeout: 300_000 });
  if (r.status === 0) return undefined;
  return r.signal ? `the file crashed the database reader (${r.signal})` : 'the database reader could not read it';
}
