// The one error type that crosses the wire. Handlers and actors throw it with an HTTP status;
// the HTTP adapter sends that status, the websocket adapter uses it as the JSON-RPC error code
// (Moonraker's convention), except for JSON-RPC's own protocol errors.

import { getLogger } from '../logger.js';

const log = getLogger('api');

export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;
export const JSONRPC_METHOD_NOT_FOUND = -32601;
export const JSONRPC_INVALID_PARAMS = -32602;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Set when JSON-RPC has its own code for this failure (e.g. invalid params). */
    readonly jsonRpcCode?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get rpcCode(): number {
    return this.jsonRpcCode ?? this.status;
  }
}

export const badRequest = (msg: string) => new ApiError(400, msg);
export const invalidParams = (msg: string) => new ApiError(400, msg, JSONRPC_INVALID_PARAMS);
export const notFound = (msg: string) => new ApiError(404, msg);
export const forbidden = (msg: string) => new ApiError(403, msg);

/**
 * File-system refusals that a client's own path causes (a name over the file system's limit, a
 * symlink loop) are the client's error, not a fault of ours.
 */
export function clientFsError(err: unknown): ApiError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENAMETOOLONG') return new ApiError(400, 'File name or path too long');
  if (code === 'ELOOP') return new ApiError(400, 'Too many levels of symbolic links');
  return undefined;
}

/**
 * Anything thrown that is not an ApiError is a bug on our side: a 500 that says only which kind
 * of failure (its code, e.g. ENOTDIR), since the message of a system error names absolute server
 * paths; the whole message and stack go to the log, where the operator can read them.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const fsError = clientFsError(err);
  if (fsError) return fsError;
  log.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  const code = (err as { code?: unknown } | null)?.code;
  return new ApiError(500, `Internal Server Error${typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : ''}`);
}
