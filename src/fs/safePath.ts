// Every path a client names is resolved here, segment by segment, against its root: nothing a
// client sends can reach outside the root, whether by "..", an absolute path, a sibling folder
// whose name starts like the root (gcodes_evil), a NUL byte or a symlink that points away.
import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { badRequest, forbidden, notFound } from '../shared/errors.js';
import { fsApiError } from './fsErrors.js';

/** Names of our in-progress upload files; never listed, watched or served. */
export const UPLOAD_TEMP_PREFIX = '.moonstate-upload-';
export const isUploadTemp = (name: string) => name.startsWith(UPLOAD_TEMP_PREFIX);

/**
 * Splits a client's path relative to a root into its segments. "." and empty segments drop out;
 * "..", absolute paths and NUL bytes are refused.
 */
export function relativeSegments(rel: string, what = 'path'): string[] {
  if (rel.includes('\0')) throw badRequest(`Invalid ${what}: contains a NUL byte`);
  if (rel.startsWith('/') || isAbsolute(rel) || /^[A-Za-z]:[\\/]/.test(rel)) {
    throw badRequest(`Invalid ${what} '${rel}': absolute paths are not allowed`);
  }
  const out: string[] = [];
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw forbidden(`Invalid ${what} '${rel}': '..' is not allowed`);
    out.push(seg);
  }
  return out;
}

/** True when `child` is `parent` or lies under it, compared by whole segments. */
export function isWithin(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..' + sep) && r !== '..' && !isAbsolute(r));
}

/** How often a path that appears between realpath() and lstat() is looked at again. */
const RACE_RETRIES = 8;

/**
 * The real location of `abs` once symlinks are followed: of the path itself when it exists,
 * else of its nearest existing ancestor with the missing part appended. A dangling symlink on
 * the way is refused, since where it leads cannot be checked.
 */
async function realLocation(abs: string): Promise<string> {
  let cur = abs;
  const missing: string[] = [];
  let retries = 0;
  for (;;) {
    try {
      return join(await realpath(cur), ...[...missing].reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsApiError(err);
      const l = await lstat(cur).catch(() => undefined);
      if (l) {
        // Seen by lstat but not by realpath: either a dangling symlink, or the path (or one of
        // its folders) was created by someone else (another upload) between the two calls.
        // Only a symlink whose target is still missing when asked again is refused.
        if (retries++ < RACE_RETRIES) continue;
        if (l.isSymbolicLink() || code === 'ENOENT') throw forbidden('Invalid path: a symbolic link on the way leads nowhere');
        throw err;
      }
      const parent = dirname(cur);
      if (parent === cur) return join(cur, ...missing.reverse());
      missing.push(cur.slice(parent.length).replace(/^\/+/, ''));
      cur = parent;
    }
  }
}

export interface ResolvedPath {
  /** Absolute path on disk (under the root's path as configured). */
  abs: string;
  /** Path relative to the root with "/" separators, no leading slash ("" for the root). */
  rel: string;
}

/**
 * Resolves `rel` under `rootPath`, refusing anything that ends up outside it, including
 * through symlinks. `displayRoot` names the root in error messages.
 */
export async function resolveInRoot(rootPath: string, rel: string | string[], displayRoot: string, what = 'path'): Promise<ResolvedPath> {
  const segs = Array.isArray(rel) ? rel : relativeSegments(rel, what);
  // Our temp files are invisible; a client's file of that name would vanish from listings
  // and be swept away at the next start.
  if (segs.some(isUploadTemp)) throw badRequest(`Invalid ${what}: names starting with '${UPLOAD_TEMP_PREFIX}' are reserved for the server's temp files`);
  const abs = join(rootPath, ...segs);
  if (!isWithin(rootPath, abs)) throw forbidden(`Invalid ${what}: '${segs.join('/')}' is outside root '${displayRoot}'`);
  let realRoot: string;
  try {
    realRoot = await realpath(rootPath);
  } catch {
    throw notFound(`Root '${displayRoot}' does not exist on disk`);
  }
  const real = await realLocation(abs);
  if (!isWithin(realRoot, real)) {
    throw forbidden(`Invalid ${what}: '${segs.join('/')}' leads outside root '${displayRoot}'`);
  }
  return { abs, rel: segs.join('/') };
}
