// A gcode file's metadata in today's Moonraker shape: what server.files.metadata answers today's
// clients, and (less the file's print record) what a history job stores. In the file layer
// because the file manager hands it to the history component, which must not import the
// file_manager component's replies (src/components/file_manager/fileReplies.ts builds on it).
import type { StoredMetadata } from '../fileTypes.js';

/** Thumbnails are the files written next to the gcode, named by relative_path, without their data. */
export function todaysMetadata(meta: StoredMetadata): Record<string, unknown> {
  const { size, modified, thumbnails, ...rest } = meta;
  const out: Record<string, unknown> = { size, modified, ...rest };
  if (thumbnails) {
    out.thumbnails = thumbnails.flatMap((t) =>
      t.relative_path === undefined ? [] : [{ width: t.width, height: t.height, size: t.bytes, relative_path: t.relative_path }],
    );
  }
  return out;
}

/**
 * The metadata a history job carries, as Moonraker stores it: today's shape, less the file's own
 * print_start_time and job_id.
 */
export function historyMetadata(meta: StoredMetadata): Record<string, unknown> {
  const { print_start_time: _s, job_id: _j, ...rest } = todaysMetadata(meta);
  return rest;
}
