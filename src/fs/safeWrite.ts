// Every write, rename and delete the server makes inside a root goes through here: for a client's
// path (resolved by src/fs/safePath.ts) and for the server's own files (thumbnails in
// `.thumbs/`, temp files). A user with a shell may have planted a symlink anywhere
// (`.thumbs -> /elsewhere`, `.thumbs/foo-16x16.png -> /elsewhere/victim`) or may swap a folder
// for one after a path was checked. So the folder written in is held open and named through
// /proc/self/fd/N (what openat() gives in C: the folder checked is the folder written to), a
// derived folder must be a real folder (opened with O_NOFOLLOW), a file is never written
// through: it is created beside (O_CREAT|O_EXCL, which refuses any existing name, a symlink
// included) and renamed over the name, and rename() and unlink() act on a link itself, never on
// its target. Without /proc (not Linux) the checks are made by path, right before each use.
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, readlink, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { forbidden } from '../shared/errors.js';
import { isWithin, UPLOAD_TEMP_PREFIX } from './safePath.js';
import { fsyncPath } from '../util/fsync.js';

/** A fresh temp file name: hidden from listings and clients, removed by the start-up sweep. */
export const tempName = () => `${UPLOAD_TEMP_PREFIX}${randomBytes(8).toString('hex')}.part`;

/** A derived folder held open: `path` names it for as long as it is open, wherever it is moved. */
export interface PinnedDir {
  path: string;
  close(): Promise<void>;
}

const PROC_FD = '/proc/self/fd';
const hasProcFd = existsSync(PROC_FD);
const DIR_NOFOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * The folder `dir`/`segs...` for files the server derives, when it is safe to write there:
 * `dir` (already resolved by the caller) must really lie inside `rootPath`, and each of `segs`
 * must be a real folder, not a symlink; missing ones are made when `create`. Undefined otherwise.
 *
 * On Linux each folder is opened (the last ones with O_NOFOLLOW) and named through
 * /proc/self/fd/N afterwards, the way openat() would: what was checked is what is written to,
 * even if someone swaps a folder on the way for a symlink meanwhile. Close it when done.
 */
export async function derivedDir(rootPath: string, dir: string, segs: string[], create: boolean): Promise<PinnedDir | undefined> {
  if (segs.some((seg) => seg === '' || seg === '.' || seg === '..' || seg.includes('/') || seg.includes('\0'))) return undefined;
  const realRoot = await realpath(rootPath).catch(() => undefined);
  if (realRoot === undefined) return undefined;
  if (!hasProcFd) return derivedDirByPath(realRoot, dir, segs, create);
  let fh: FileHandle | undefined = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => undefined);
  try {
    const at = fh && (await readlink(`${PROC_FD}/${fh.fd}`).catch(() => undefined));
    if (!fh || at === undefined || !isWithin(realRoot, at)) {
      await fh?.close();
      return undefined;
    }
    for (const seg of segs) {
      const child: string = `${PROC_FD}/${fh.fd}/${seg}`;
      if (create) await mkdir(child).catch(() => undefined);
      const next: FileHandle | undefined = await open(child, DIR_NOFOLLOW).catch(() => undefined);
      await fh.close();
      fh = next;
      if (!fh) return undefined;
    }
  } catch {
    await fh?.close().catch(() => undefined);
    return undefined;
  }
  const held = fh;
  return { path: `${PROC_FD}/${held.fd}`, close: () => held.close().catch(() => undefined) };
}

/** A path inside a root whose folder is held open (see derivedDir); `dir` names that folder. */
export interface PinnedPath {
  dir: string;
  path: string;
  close(): Promise<void>;
}

/**
 * `abs` (resolved inside `rootPath` by src/fs/safePath.ts) named through its folder held open,
 * for the write, rename or delete that follows: a folder on the way swapped for a symlink after
 * the path was resolved cannot redirect it out of the root. A folder that is missing throws
 * its errno (ENOENT/ENOTDIR) as before; one that now leads outside the root is refused (403).
 */
export async function pinPath(rootPath: string, abs: string): Promise<PinnedPath> {
  if (!hasProcFd) return { dir: dirname(abs), path: abs, close: async () => undefined };
  const realRoot = await realpath(rootPath);
  const fh = await open(dirname(abs), constants.O_RDONLY | constants.O_DIRECTORY);
  const at = await readlink(`${PROC_FD}/${fh.fd}`).catch(() => undefined);
  if (at === undefined || !isWithin(realRoot, at)) {
    await fh.close();
    throw forbidden('Invalid path: a folder on the way now leads outside its root');
  }
  const dir = `${PROC_FD}/${fh.fd}`;
  return { dir, path: `${dir}/${basename(abs)}`, close: () => fh.close().catch(() => undefined) };
}

/**
 * Opens `abs` (resolved inside `rootPath`) for reading, through its pinned folder, and checks the
 * open file itself: it must still lie inside the root once every link is followed, and be a
 * regular file. A swap between the check and the read cannot send another file.
 */
export async function openInRoot(rootPath: string, abs: string): Promise<FileHandle> {
  const fh = await withPinned(rootPath, abs, (at) => open(at.path, constants.O_RDONLY));
  try {
    if (hasProcFd) {
      const at = await readlink(`${PROC_FD}/${fh.fd}`);
      if (!isWithin(await realpath(rootPath), at)) throw forbidden('Invalid path: the file now leads outside its root');
    }
    return fh;
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

/** Runs `op` on `abs` named through its pinned folder (pinPath), and lets the folder go. */
export async function withPinned<T>(rootPath: string, abs: string, op: (p: PinnedPath) => Promise<T>): Promise<T> {
  const p = await pinPath(rootPath, abs);
  try {
    return await op(p);
  } finally {
    await p.close();
  }
}

/** derivedDir where /proc is missing: checked by lstat, so a swap right after can still win. */
async function derivedDirByPath(realRoot: string, dir: string, segs: string[], create: boolean): Promise<PinnedDir | undefined> {
  const realDir = await realpath(dir).catch(() => undefined);
  if (realDir === undefined || !isWithin(realRoot, realDir)) return undefined;
  let cur = dir;
  for (const seg of segs) {
    cur = join(cur, seg);
    let st = await lstat(cur).catch(() => undefined);
    if (!st && create) {
      await mkdir(cur).catch(() => undefined);
      st = await lstat(cur).catch(() => undefined);
    }
    if (!st || st.isSymbolicLink() || !st.isDirectory()) return undefined;
  }
  return { path: cur, close: async () => undefined };
}

/**
 * Replaces `dir/name` with `bytes` without ever writing through a link at that name: the bytes
 * go to a new temp file (exclusive create) that is renamed over the name. `durable` fsyncs the
 * file before the rename and the folder after it.
 */
export async function replaceFile(dir: string, name: string, bytes: Uint8Array, durable = false): Promise<void> {
  const tmp = join(dir, tempName());
  const fh = await open(tmp, 'wx');
  try {
    try {
      await fh.writeFile(bytes);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (durable) await syncDir(dir);
}

/**
 * Copies the file `src` to `dest` the same way: into a new temp file beside `dest` (exclusive,
 * a reflink where the file system can), synced when `durable`, then renamed over `dest`, so a
 * link planted at `dest` is replaced, never written through.
 */
export async function copyOver(src: string, dest: string, durable = true): Promise<void> {
  const tmp = join(dirname(dest), tempName());
  try {
    await copyFile(src, tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    if (durable) await syncFile(tmp);
    await rename(tmp, dest);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (durable) await syncDir(dirname(dest));
}

/** fsync of a file's bytes. */
export const syncFile = fsyncPath;

/** fsync of every file and folder of a tree (a copied folder), not following links. */
export async function syncTree(path: string): Promise<void> {
  const st = await lstat(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    for (const name of await readdir(path)) await syncTree(join(path, name));
    return syncDir(path);
  }
  if (st.isFile()) await syncFile(path);
}

/** fsync of a folder, so a rename or a new name in it survives a crash. */
export const syncDir = fsyncPath;
