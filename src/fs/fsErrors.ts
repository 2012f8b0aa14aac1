// What a client is told when the file system refuses an operation. Node's own messages name
// absolute paths on the server ("ENOENT: no such file or directory, rename '/home/pi/...'"),
// which a client must never see: each failure is answered by its code, with the status that
// says whose fault it is, and the full message goes to the log.
import { internalError, clientFsError, ServerError, type ErrorKind } from '../shared/errors.js';
import { getLogger } from '../logger.js';

const log = getLogger('files');

const BY_CODE: Record<string, [ErrorKind, string]> = {
  ENOENT: ['not_found', 'File or folder does not exist (it may have been moved or deleted meanwhile)'],
  ENOTDIR: ['not_found', 'A folder on the way is not a folder'],
  EEXIST: ['conflict', 'Destination already exists'],
  ENOTEMPTY: ['conflict', 'Directory not empty'],
  EISDIR: ['bad_request', 'Is a directory'],
  EINVAL: ['bad_request', 'Invalid operation: a folder cannot be moved or copied into itself'],
  ERR_FS_CP_EINVAL: ['bad_request', 'Invalid operation: a folder cannot be moved or copied into itself'],
  ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY: ['bad_request', 'Invalid operation: a folder cannot be copied into itself'],
  ERR_FS_CP_DIR_TO_NON_DIR: ['conflict', 'Cannot replace a file with a folder'],
  ERR_FS_CP_NON_DIR_TO_DIR: ['conflict', 'Cannot replace a folder with a file'],
  ERR_FS_CP_EEXIST: ['conflict', 'Destination already exists'],
  ERR_FS_EISDIR: ['bad_request', 'Is a directory'],
  EBUSY: ['conflict', 'File or folder is busy'],
  EACCES: ['forbidden', 'Permission denied by the file system'],
  EPERM: ['forbidden', 'Operation not permitted by the file system'],
  EROFS: ['forbidden', 'The file system is read-only'],
  ENOSPC: ['insufficient_storage', 'No space left on the device'],
  EDQUOT: ['insufficient_storage', 'Disk quota exceeded'],
};

/** The ServerError for anything a file operation threw; never carries a path of the server. */
export function fsApiError(err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  const client = clientFsError(err);
  if (client) return client;
  const code = (err as { code?: unknown } | null)?.code;
  const known = typeof code === 'string' ? BY_CODE[code] : undefined;
  if (known) return new ServerError(known[0], known[1]);
  log.error(`file operation failed: ${err instanceof Error ? err.message : String(err)}`);
  return internalError(`Internal file system error${typeof code === 'string' ? ` (${code})` : ''}`);
}

/** Runs a file operation, turning whatever it throws into a path-free ServerError. */
export async function fsGuard<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (err) {
    throw fsApiError(err);
  }
}
