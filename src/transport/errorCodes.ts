// The one place that knows what an error kind (src/shared/errors.ts) is called on the wire: its
// HTTP status and its JSON-RPC code. The spec's server sent the HTTP status as the JSON-RPC
// code, and today's Moonraker still does, except for the few failures JSON-RPC names itself.
import { ServerError, clientFsError, type ErrorKind } from '../shared/errors.js';
import type { Dialect } from '../shared/dialect.js';
import { getLogger } from '../logger.js';

const log = getLogger('api');

export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;
export const JSONRPC_METHOD_NOT_FOUND = -32601;
export const JSONRPC_INVALID_PARAMS = -32602;

const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  bad_request: 400,
  invalid_params: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  not_allowed: 405,
  timeout: 408,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  // Moonraker answers a Klippy request that timed out with 500.
  klippy_timeout: 500,
  internal: 500,
  klippy_invalid_reply: 502,
  klippy_disconnected: 503,
  unavailable: 503,
  insufficient_storage: 507,
};

/** The HTTP status a failure of this kind is answered with. */
export const httpStatusOf = (err: ServerError): number => HTTP_STATUS[err.kind];

/** The kind an HTTP status stands for (errors raised by Express's own body parser). */
export function kindOfHttpStatus(status: number): ErrorKind {
  const kind = (Object.keys(HTTP_STATUS) as ErrorKind[]).find((k) => HTTP_STATUS[k] === status);
  return kind ?? (status >= 500 ? 'internal' : 'bad_request');
}

/** A failure of the JSON-RPC protocol itself, with the code JSON-RPC 2.0 gives it. */
export class JsonRpcError extends ServerError {
  constructor(
    kind: ErrorKind,
    message: string,
    readonly rpcCode: number,
  ) {
    super(kind, message);
  }
}

export class MethodNotFound extends JsonRpcError {
  constructor(method: string) {
    super('not_found', `Method not found: ${method}`, JSONRPC_METHOD_NOT_FOUND);
  }
}

/**
 * The JSON-RPC code of a failure. The spec's server sent the HTTP status as the code; today's
 * Moonraker turns a 404 (a missing namespace, file or key) into -32601 and a 401 into -32602
 * (common.py, execute_method), and clients written for it (Mainsail, Fluidd) read those.
 */
export function rpcCodeOf(err: ServerError, dialect: Dialect = 'spec'): number {
  if (err instanceof JsonRpcError) return err.rpcCode;
  if (err.kind === 'invalid_params') return JSONRPC_INVALID_PARAMS;
  if (dialect === 'current' && err.kind === 'not_found') return JSONRPC_METHOD_NOT_FOUND;
  if (dialect === 'current' && err.kind === 'unauthorized') return JSONRPC_INVALID_PARAMS;
  return HTTP_STATUS[err.kind];
}

/**
 * Anything thrown that is not a ServerError is a bug on our side: a 500 that says only which
 * kind of failure (its code, e.g. ENOTDIR), since the message of a system error names absolute
 * server paths; the whole message and stack go to the log, where the operator can read them.
 */
export function toServerError(err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  const fsError = clientFsError(err);
  if (fsError) return fsError;
  log.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  const code = (err as { code?: unknown } | null)?.code;
  return new ServerError('internal', `Internal Server Error${typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : ''}`);
}
