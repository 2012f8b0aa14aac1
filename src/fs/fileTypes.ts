// The file layer's own values: what an operation changed, a file's size and time, the metadata
// kept for a gcode file, a folder's listing. All plain (sizes in bytes, `modified` as Unix
// seconds, today's action names); the file_manager component gives them their wire shape per
// dialect (src/components/file_manager/fileReplies.ts).
import type { SlicerMetadata, Thumbnail } from './metadata/gcodeMetadata.js';

/** What a file operation changed, in today's vocabulary (the spec's names are derived). */
export type FileAction =
  | 'create_file'
  | 'modify_file'
  | 'delete_file'
  | 'create_dir'
  | 'delete_dir'
  | 'move_file'
  | 'move_dir'
  /** A root became available or moved; its item names the root with path "". */
  | 'root_update';

export interface ChangedItem {
  root: string;
  /** Relative to the root, no leading slash. */
  path: string;
  size: number;
  /** Unix seconds. */
  modified: number;
  /** Only a root announced by root_update can be read-only; every other change is in a root we write. */
  readOnly?: boolean;
}

export interface FileChange {
  action: FileAction;
  item: ChangedItem;
  /** Where a move (action move_*) or a copy (create_*, modify_file) came from. */
  source?: { root: string; path: string };
}

export interface FileStat {
  size: number;
  modified: number;
}

/** The folder, beside each gcode file, that holds the thumbnails taken out of it. */
export const THUMBS_DIR = '.thumbs';

/** A thumbnail as kept in the metadata cache: the image, and the file it was written to. */
export interface StoredThumbnail extends Thumbnail {
  /** Relative to the gcode file's folder (".thumbs/name-WxH.png"); absent if it could not be written. */
  relative_path?: string;
  /** Bytes of that file. */
  bytes?: number;
}

export interface StoredMetadata extends Omit<SlicerMetadata, 'thumbnails'> {
  size: number;
  /** Unix seconds (float). */
  modified: number;
  /** A fresh uuid4 per parse, as Moonraker. */
  uuid?: string;
  /** The gcode processors that ran on the file (object processing). */
  file_processors?: string[];
  /** Unix seconds the last print of this file started, and that print's history job (set at print start). */
  print_start_time?: number | null;
  job_id?: string | null;
  thumbnails?: StoredThumbnail[];
}

export interface DiskUsage {
  total: number;
  used: number;
  free: number;
}

/** True for a path inside (or naming) one of our thumbnail folders. */
export const isUnderThumbs = (rel: string) => rel.split('/').includes(THUMBS_DIR);

export interface DirectoryListing {
  root: { name: string; writable: boolean };
  files: Array<{ name: string; metadata?: StoredMetadata } & FileStat>;
  dirs: Array<{ name: string } & FileStat>;
  diskUsage: DiskUsage;
}
