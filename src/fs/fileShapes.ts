// The one place where file replies and notifications take their wire shape. Everything in src/fs
// works with plain values (sizes in bytes, `modified` as Unix seconds); the dialect of the caller
// decides how they look on the wire. Only the spec's dialect (Moonraker, September 2020) exists
// today; today's Moonraker (float `modified`, `{item, action}` replies, other action names) is a
// branch to add here.
import type { Dialect } from '../transport/requestContext.js';
import type { SlicerMetadata } from './metadata/gcodeMetadata.js';

/** What a file operation changed, in the spec's vocabulary of actions. */
export type FileAction = 'upload_file' | 'delete_file' | 'create_dir' | 'delete_dir' | 'move_item' | 'copy_item';

export interface ChangedItem {
  root: string;
  /** Relative to the root, no leading slash. */
  path: string;
  size: number;
  /** Unix seconds. */
  modified: number;
}

export interface FileChange {
  action: FileAction;
  item: ChangedItem;
  source?: { root: string; path: string };
}

export interface FileStat {
  size: number;
  modified: number;
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

export function modifiedFor(unixSeconds: number, _dialect: Dialect): string | number {
  return ctime(unixSeconds);
}

/** One entry of server.files.list: `filename` (the spec) and `path` (what clients read today). */
export function listEntry(path: string, st: FileStat, dialect: Dialect) {
  return { filename: path, path, size: st.size, modified: modifiedFor(st.modified, dialect) };
}

export function directoryReply(
  files: Array<{ name: string } & FileStat>,
  dirs: Array<{ name: string } & FileStat>,
  dialect: Dialect,
) {
  return {
    files: files.map((f) => ({ filename: f.name, size: f.size, modified: modifiedFor(f.modified, dialect) })),
    dirs: dirs.map((d) => ({ dirname: d.name, modified: modifiedFor(d.modified, dialect) })),
  };
}

/** The reply of a directory change, move or copy. */
export function mutationReply(_change: FileChange, _dialect: Dialect): unknown {
  return 'ok';
}

/** The reply of a file deletion (HTTP and websocket): the path relative to its root. */
export function deleteReply(change: FileChange, _dialect: Dialect): unknown {
  return change.item.path;
}

/** The whole HTTP body of an upload (not wrapped again in `{result}`). */
export function uploadBody(change: FileChange, printStarted: boolean | undefined, _dialect: Dialect): Record<string, unknown> {
  return printStarted === undefined ? { result: change.item.path } : { result: change.item.path, print_started: printStarted };
}

/** The params[0] of notify_filelist_changed. */
export function filelistChangedParams(change: FileChange, dialect: Dialect): Record<string, unknown> {
  const { item } = change;
  const out: Record<string, unknown> = {
    action: change.action,
    item: { path: item.path, root: item.root, size: item.size, modified: modifiedFor(item.modified, dialect) },
  };
  if (change.source) out.source_item = { path: change.source.path, root: change.source.root };
  return out;
}

export interface StoredMetadata extends SlicerMetadata {
  size: number;
  /** Unix seconds (float). */
  modified: number;
}

/** server.files.metadata and notify_metadata_update. */
export function metadataReply(filename: string, meta: StoredMetadata, dialect: Dialect): Record<string, unknown> {
  const { size, modified, ...rest } = meta;
  return { filename, size, modified: modifiedFor(modified, dialect), ...rest };
}
