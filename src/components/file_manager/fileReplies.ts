// The file_manager component's replies and notifications, the one place where the file layer's
// plain values (src/fs/fileTypes.ts: sizes in bytes, `modified` as Unix seconds, today's action
// names) take their wire shape. The dialect of the caller decides how they look:
//
// - 'spec' (Moonraker, September 2020): `modified` is a ctime() string, mutations answer "ok",
//   deletes the path, uploads `{result}`; actions upload_file / move_item / copy_item; thumbnails
//   are inline base64; the `.thumbs` folders we write did not exist then and are not shown.
// - 'current' (today's Moonraker): `modified` is float seconds, mutations answer
//   `{item, action}` (moves also `source_item`), uploads are 201 with a Location header;
//   thumbnails are files next to the gcode, named by `relative_path`.
import { posix } from 'node:path';
import type { Dialect } from '../../shared/dialect.js';
import type { UploadResult } from '../../shared/fileTransfer.js';
import { isUnderThumbs, THUMBS_DIR, type ChangedItem, type DirectoryListing, type FileChange, type FileStat, type StoredMetadata, type StoredThumbnail } from '../../fs/fileTypes.js';
import { todaysMetadata } from '../../fs/metadata/todaysMetadata.js';

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

const permissionsOf = (writable: boolean) => (writable ? 'rw' : 'r');

/** One entry of server.files.list: the spec's `filename` (and `path`), or today's `path` and `permissions`. */
export function listEntry(path: string, st: FileStat, writable: boolean, dialect: Dialect) {
  if (dialect === 'current') return { path, modified: st.modified, size: st.size, permissions: permissionsOf(writable) };
  return { filename: path, path, size: st.size, modified: ctime(st.modified) };
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

/** 2020's metadata had the slicer's thumbnails inline, and no miniature. */
function specThumbnails(thumbs: StoredThumbnail[]) {
  return thumbs.flatMap((t) => (t.miniature ? [] : [{ width: t.width, height: t.height, size: t.data.length, data: t.data }]));
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
  if (dialect === 'current') return todaysMetadata(meta);
  const { size, modified, thumbnails, ...all } = meta;
  const rest = Object.fromEntries(Object.entries(all).filter(([k]) => SPEC_METADATA_FIELDS.has(k)));
  const out: Record<string, unknown> = { size, modified: ctime(modified), ...rest };
  if (thumbnails) out.thumbnails = specThumbnails(thumbnails);
  return out;
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
