// The one place where file replies and notifications take their wire shape. Everything in src/fs
// works with plain values (sizes in bytes, `modified` as Unix seconds, today's action names); the
// dialect of the caller decides how they look on the wire:
//
// - 'spec' (Moonraker, September 2020): `modified` is a ctime() string, mutations answer "ok",
//   deletes the path, uploads `{result}`; actions upload_file / move_item / copy_item; thumbnails
//   are inline base64; the `.thumbs` folders we write did not exist then and are not shown.
// - 'current' (today's Moonraker): `modified` is float seconds, mutations answer
//   `{item, action}` (moves also `source_item`), uploads are 201 with a Location header;
//   thumbnails are files next to the gcode, named by `relative_path`.
import { posix } from 'node:path';
import type { Dialect } from '../shared/dialect.js';
import type { UploadResult } from '../shared/fileTransfer.js';
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

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Python's time.ctime() in local time: "Wed Sep  9 11:32:37 2020" (day padded with a space). */
export function ctime(unixSeconds: number): string {
  // Files copied together share their second: listings of thousands format few distinct times.
  const sec = Math.floor(unixSeconds);
  const tz = process.env.TZ;
  if (sec === lastCtime.sec && tz === lastCtime.tz) return lastCtime.text;
  const text = formatCtime(sec);
  lastCtime = { sec, tz, text };
  return text;
}

let lastCtime: { sec: number; tz: string | undefined; text: string } = { sec: NaN, tz: undefined, text: '' };

function formatCtime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const day = d.getDate();
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day < 10 ? ` ${day}` : day} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}

export function modifiedFor(unixSeconds: number, dialect: Dialect): string | number {
  return dialect === 'current' ? unixSeconds : ctime(unixSeconds);
}

const permissionsOf = (writable: boolean) => (writable ? 'rw' : 'r');

/** True for a path inside (or naming) one of our thumbnail folders. */
export const isUnderThumbs = (rel: string) => rel.split('/').includes(THUMBS_DIR);

/** One entry of server.files.list: the spec's `filename` (and `path`), or today's `path` and `permissions`. */
export function listEntry(path: string, st: FileStat, writable: boolean, dialect: Dialect) {
  if (dialect === 'current') return { path, modified: st.modified, size: st.size, permissions: permissionsOf(writable) };
  return { filename: path, path, size: st.size, modified: ctime(st.modified) };
}

export interface DirectoryListing {
  root: { name: string; writable: boolean };
  files: Array<{ name: string; metadata?: StoredMetadata } & FileStat>;
  dirs: Array<{ name: string } & FileStat>;
  diskUsage: DiskUsage;
}

/**
 * server.files.get_directory. Today's answer adds sizes and permissions, the disk usage and the
 * root; a file with cached metadata (extended listings) carries it as server.files.metadata does.
 */
export function directoryReply(listing: DirectoryListing, dialect: Dialect) {
  if (dialect === 'spec') {
    return {
      files: listing.files.map((f) => ({ filename: f.name, size: f.size, modified: ctime(f.modified) })),
      dirs: listing.dirs.filter((d) => d.name !== THUMBS_DIR).map((d) => ({ dirname: d.name, modified: ctime(d.modified) })),
    };
  }
  const permissions = permissionsOf(listing.root.writable);
  return {
    dirs: listing.dirs.map((d) => ({ modified: d.modified, size: d.size, permissions, dirname: d.name })),
    files: listing.files.map((f) => ({
      modified: f.modified,
      size: f.size,
      permissions,
      filename: f.name,
      ...(f.metadata ? metadataFields(f.metadata, dialect) : {}),
    })),
    disk_usage: listing.diskUsage,
    root_info: { name: listing.root.name, permissions },
  };
}

/** server.files.roots (an endpoint of today's API only). */
export function rootsReply(roots: Array<{ name: string; path: string; writable: boolean }>) {
  return roots.map((r) => ({ name: r.name, path: r.path, permissions: permissionsOf(r.writable) }));
}

const changedItem = (item: ChangedItem) => ({
  path: item.path,
  root: item.root,
  size: item.size,
  modified: item.modified,
  permissions: permissionsOf(item.readOnly !== true),
});

function specAction(change: FileChange): string {
  if (change.source) return change.action.startsWith('move_') ? 'move_item' : 'copy_item';
  return change.action === 'create_file' || change.action === 'modify_file' ? 'upload_file' : change.action;
}

/** Today's `{item, action}`, with `source_item` for moves (Moonraker names no source for copies). */
function currentChange(change: FileChange): Record<string, unknown> {
  const out: Record<string, unknown> = { item: changedItem(change.item), action: change.action };
  if (change.source && change.action.startsWith('move_')) out.source_item = { path: change.source.path, root: change.source.root };
  return out;
}

/** The reply of a directory change, move or copy. */
export function mutationReply(change: FileChange, dialect: Dialect): unknown {
  return dialect === 'current' ? currentChange(change) : 'ok';
}

/** server.files.zip (today's API only): the archive as an item, and Moonraker's action name. */
export function zipReply(change: FileChange): Record<string, unknown> {
  return { destination: changedItem(change.item), action: 'zip_files' };
}

/** The reply of a file deletion (HTTP and websocket): the spec's path relative to its root. */
export function deleteReply(change: FileChange, dialect: Dialect): unknown {
  return dialect === 'current' ? currentChange(change) : change.item.path;
}

/**
 * The answer to an upload. `printStarted` is undefined outside gcodes. Today's dialect names where
 * the new file is served (the transport answers 201 Created with it); the spec's does not.
 */
export function uploadReply(change: FileChange, printStarted: boolean | undefined, dialect: Dialect): UploadResult {
  const { root, path } = change.item;
  if (dialect === 'spec') {
    return { body: printStarted === undefined ? { result: path } : { result: path, print_started: printStarted } };
  }
  const body = currentChange(change);
  // No upload queue: a print that could not start is never queued instead.
  if (printStarted !== undefined) Object.assign(body, { print_started: printStarted, print_queued: false });
  return { body, location: `/server/files/${root}/${path.split('/').map(encodeURIComponent).join('/')}` };
}

/** The params[0] of notify_filelist_changed, or undefined when this dialect is not told. */
export function filelistChangedParams(change: FileChange, dialect: Dialect): Record<string, unknown> | undefined {
  if (dialect === 'current') return currentChange(change);
  // The spec had no such action: its clients learn of roots by asking.
  if (change.action === 'root_update') return undefined;
  if (isUnderThumbs(change.item.path) || (change.source && isUnderThumbs(change.source.path))) return undefined;
  const { item } = change;
  const out: Record<string, unknown> = {
    action: specAction(change),
    item: { path: item.path, root: item.root, size: item.size, modified: ctime(item.modified) },
  };
  if (change.source) out.source_item = { path: change.source.path, root: change.source.root };
  return out;
}

function thumbnailsFor(thumbs: StoredThumbnail[], dialect: Dialect) {
  // 2020's metadata had the slicer's thumbnails inline, and no miniature.
  if (dialect === 'spec') return thumbs.flatMap((t) => (t.miniature ? [] : [{ width: t.width, height: t.height, size: t.data.length, data: t.data }]));
  return thumbs.flatMap((t) => (t.relative_path === undefined ? [] : [{ width: t.width, height: t.height, size: t.bytes, relative_path: t.relative_path }]));
}

/** The fields the 2020 metadata had; the spec dialect sends only these. */
const SPEC_METADATA_FIELDS = new Set([
  'slicer',
  'slicer_version',
  'first_layer_height',
  'layer_height',
  'object_height',
  'filament_total',
  'estimated_time',
  'first_layer_bed_temp',
  'first_layer_extr_temp',
]);

function metadataFields(meta: StoredMetadata, dialect: Dialect): Record<string, unknown> {
  const { size, modified, thumbnails, ...all } = meta;
  const rest = dialect === 'spec' ? Object.fromEntries(Object.entries(all).filter(([k]) => SPEC_METADATA_FIELDS.has(k))) : all;
  const out: Record<string, unknown> = { size, modified: modifiedFor(modified, dialect), ...rest };
  if (thumbnails) out.thumbnails = thumbnailsFor(thumbnails, dialect);
  return out;
}

/**
 * The metadata a history job carries, as Moonraker stores it: today's shape (thumbnails named by
 * relative_path, without their data), less the file's own print_start_time and job_id.
 */
export function historyMetadata(meta: StoredMetadata): Record<string, unknown> {
  const { print_start_time: _s, job_id: _j, ...rest } = metadataFields(meta, 'current');
  return rest;
}

/** server.files.metadata, server.files.metascan and notify_metadata_update. */
export function metadataReply(filename: string, meta: StoredMetadata, dialect: Dialect): Record<string, unknown> {
  return { filename, ...metadataFields(meta, dialect) };
}

/** server.files.thumbnails (today's API only): each written thumbnail, named from the gcodes root. */
export function thumbnailsReply(filename: string, meta: StoredMetadata | undefined) {
  const dir = posix.dirname(filename);
  return (meta?.thumbnails ?? []).flatMap((t) =>
    t.relative_path === undefined ? [] : [{ width: t.width, height: t.height, size: t.bytes, thumbnail_path: dir === '.' ? t.relative_path : `${dir}/${t.relative_path}` }],
  );
}
