// Thumbnails as files, the way today's clients fetch them: `<gcode folder>/.thumbs/<name>-WxH.png`
// (or .jpg), where <name> is the gcode file's name without its extension. They are written when
// the metadata is extracted and follow their gcode file when it is moved or deleted. Every write,
// rename and delete goes through src/fs/safeWrite.ts: `.thumbs` and the names in it may be
// symlinks planted by a user with a shell, and nothing may be written or removed through them.
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Thumbnail } from './gcodeMetadata.js';
import { THUMBS_DIR, type StoredThumbnail } from '../fileTypes.js';
import { derivedDir, replaceFile } from '../safeWrite.js';

/**
 * Writes each thumbnail beside `gcodePath` (a file under `rootPath`); one that cannot be written
 * safely keeps only its data.
 */
export async function writeThumbnails(rootPath: string, gcodePath: string, thumbs: Thumbnail[]): Promise<StoredThumbnail[]> {
  const stem = basename(gcodePath, extname(gcodePath));
  const dir = await derivedDir(rootPath, dirname(gcodePath), [THUMBS_DIR], true);
  try {
    return await Promise.all(
      thumbs.map(async (t): Promise<StoredThumbnail> => {
        if (dir === undefined) return t;
        const name = `${stem}-${t.miniature ? '32x32' : `${t.width}x${t.height}`}.${t.format}`;
        const bytes = Buffer.from(t.data, 'base64');
        try {
          await replaceFile(dir.path, name, bytes);
          return { ...t, relative_path: `${THUMBS_DIR}/${name}`, bytes: bytes.length };
        } catch {
          return t;
        }
      }),
    );
  } finally {
    await dir?.close();
  }
}

/** The file name of a stored thumbnail path; only `.thumbs/<name>` is ours. */
function ownThumb(rel: string): string | undefined {
  const parts = rel.split('/');
  return parts.length === 2 && parts[0] === THUMBS_DIR && parts[1] !== '' && parts[1] !== '.' && parts[1] !== '..' ? parts[1] : undefined;
}

const written = (thumbs: StoredThumbnail[] | undefined) =>
  (thumbs ?? []).flatMap((t) => {
    const name = t.relative_path === undefined ? undefined : ownThumb(t.relative_path);
    return name === undefined ? [] : [name];
  });

/** Removes the thumbnail files of the gcode file that was at `gcodePath` (under `rootPath`). */
export async function removeThumbnails(rootPath: string, gcodePath: string, thumbs: StoredThumbnail[] | undefined): Promise<void> {
  const names = written(thumbs);
  if (names.length === 0) return;
  const dir = await derivedDir(rootPath, dirname(gcodePath), [THUMBS_DIR], false);
  if (dir === undefined) return;
  try {
    await Promise.all(names.map((n) => unlink(join(dir.path, n)).catch(() => undefined)));
  } finally {
    await dir.close();
  }
}

/**
 * Moves the thumbnail files of a gcode file that moved from `from` to `to` (both under
 * `rootPath`) into the `.thumbs` of its new folder; their names (and so `relative_path`) stay.
 */
export async function moveThumbnails(rootPath: string, from: string, to: string, thumbs: StoredThumbnail[] | undefined): Promise<void> {
  if (dirname(from) === dirname(to)) return;
  const names = written(thumbs);
  if (names.length === 0) return;
  const src = await derivedDir(rootPath, dirname(from), [THUMBS_DIR], false);
  const dst = src === undefined ? undefined : await derivedDir(rootPath, dirname(to), [THUMBS_DIR], true);
  try {
    if (src === undefined || dst === undefined) return;
    await Promise.all(names.map((n) => rename(join(src.path, n), join(dst.path, n)).catch(() => undefined)));
  } finally {
    await Promise.all([src?.close(), dst?.close()]);
  }
}
