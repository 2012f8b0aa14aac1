// What a client is told when the file system refuses an operation. Node's own messages name
// absolute paths on the server ("ENOENT: no such file or directory, rename '/home/pi/...'"),
// which a client must never see: each failure is answered by its code, with the status that
// says whose fault it is, and the full message goes to the log.
import { ApiError, clientFsError } from '../transport/apiError.js';
import { getLogger } from '../logger.js';

const log = getLogger('files');

const BY_CODE: Record<string, [number, string]> = {
  ENOENT: [404, 'File or folder does not exist (it may have been moved or deleted meanwhile)'],
  ENOTDIR: [404, 'A folder on the way is not a folder'],
  EEXIST: [409, 'Destination already exists'],
  ENOTEMPTY: [409, 'Directory not empty'],
  EISDIR: [400, 'Is a directory'],
  EINVAL: [400, 'Invalid operation: a folder cannot be moved or copied into itself'],
  ERR_FS_CP_EINVAL: [400, 'Invalid operation: a folder cannot be moved or copied into itself'],
  ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY: [400, 'Invalid operation: a folder cannot be copied into itself'],
  ERR_FS_CP_DIR_TO_NON_DIR: [409, 'Cannot replace a file with a folder'],
  ERR_FS_CP_NON_DIR_TO_DIR: [409, 'Cannot replace a folder with a file'],
  ERR_FS_CP_EEXIST: [409, 'Destination already exists'],
  ERR_FS_EISDIR: [400, 'Is a directory'],
  EBUSY: [409, 'File or folder is busy'],
  EACCES: [403, 'Permission denied by the file system'],
  EPERM: [403, 'Operation not permitted by the file system'],
  EROFS: [403, 'The file system is read-only'],
  ENOSPC: [507, 'No space left on the device'],
  EDQUOT: [507, 'Disk quota exceeded'],
};

/** The ApiError for anything a file operation threw; never carries a path of the server. */
export function fsApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const client = clientFsError(err);
  if (client) return client;
  const code = (err as { code?: unknown } | null)?.code;
  const known = typeof code === 'string' ? BY_CODE[code] : undefined;
  if (known) return new ApiError(known[0], known[1]);
  log.error(`file operation failed: ${err instanceof Error ? err.message : String(err)}`);
  return new ApiError(500, `Internal file system error${typeof code === 'string' ? ` (${code})` : ''}`);
}

/** Runs a file operation, turning whatever it throws into a path-free ApiError. */
export async function fsGuard<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (err) {
    throw fsApiError(err);
  }
}
