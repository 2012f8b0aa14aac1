// Thumbnails as files, the way today's clients fetch them: `<gcode folder>/.thumbs/<name>-WxH.png`
// (or .jpg), where <name> is the gcode file's name without its extension. They are written when
// the metadata is extracted and follow their gcode file when it is moved or deleted.
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Thumbnail } from './gcodeMetadata.js';
import { THUMBS_DIR, type StoredThumbnail } from '../fileShapes.js';

/** Writes each thumbnail beside `gcodePath`; one that cannot be written keeps only its data. */
export async function writeThumbnails(gcodePath: string, thumbs: Thumbnail[]): Promise<StoredThumbnail[]> {
  const dir = join(dirname(gcodePath), THUMBS_DIR);
  const stem = basename(gcodePath, extname(gcodePath));
  const made = await mkdir(dir, { recursive: true }).then(
    () => true,
    () => false,
  );
  return Promise.all(
    thumbs.map(async (t): Promise<StoredThumbnail> => {
      if (!made) return t;
      const relative_path = `${THUMBS_DIR}/${stem}-${t.miniature ? '32x32' : `${t.width}x${t.height}`}.${t.format}`;
      const bytes = Buffer.from(t.data, 'base64');
      try {
        await writeFile(join(dirname(gcodePath), relative_path), bytes);
        return { ...t, relative_path, bytes: bytes.length };
      } catch {
        return t;
      }
    }),
  );
}

const written = (thumbs: StoredThumbnail[] | undefined) => (thumbs ?? []).flatMap((t) => (t.relative_path === undefined ? [] : [t.relative_path]));

/** Removes the thumbnail files of the gcode file that was at `gcodePath`. */
export async function removeThumbnails(gcodePath: string, thumbs: StoredThumbnail[] | undefined): Promise<void> {
  await Promise.all(written(thumbs).map((rel) => unlink(join(dirname(gcodePath), rel)).catch(() => undefined)));
}

/**
 * Moves the thumbnail files of a gcode file that moved from `from` to `to` into the `.thumbs` of
 * its new folder; their names (and so `relative_path`) stay as they were.
 */
export async function moveThumbnails(from: string, to: string, thumbs: StoredThumbnail[] | undefined): Promise<void> {
  if (dirname(from) === dirname(to)) return;
  const rels = written(thumbs);
  if (rels.length === 0) return;
  await mkdir(join(dirname(to), THUMBS_DIR), { recursive: true }).catch(() => undefined);
  await Promise.all(rels.map((rel) => rename(join(dirname(from), rel), join(dirname(to), rel)).catch(() => undefined)));
}
