// What can go wrong with a request, by kind. Components, actors, the file layer and the
// database throw a ServerError of one of these kinds; they know nothing of HTTP statuses or
// JSON-RPC codes. Transport alone maps a kind to the status and code a client is sent
// (src/transport/errorCodes.ts), so a kind means the same thing on every transport.

export type ErrorKind =
  /** The request itself is wrong: a bad value, an impossible operation. */
  | 'bad_request'
  /** An argument is missing or of the wrong type (JSON-RPC has its own code for this). */
  | 'invalid_params'
  /** No credentials, or credentials that are not valid. */
  | 'unauthorized'
  /** Credentials are fine but this is not allowed (a foreign origin, a path outside a root). */
  | 'forbidden'
  /** A file, folder, namespace, key, job or method that does not exist. */
  | 'not_found'
  /** The target refuses this kind of operation (a read-only root). */
  | 'not_allowed'
  /** The client stopped sending in the middle of a request. */
  | 'timeout'
  /** The operation collides with the current state (a file in use, a destination that exists). */
  | 'conflict'
  /** A body in a form the server does not read (a JSON body in a charset other than UTF-8/16/32). */
  | 'unsupported_media_type'
  /** A body, upload or reply beyond its configured limit. */
  | 'too_large'
  /** Well-formed but wrong content (an upload whose checksum does not match). */
  | 'unprocessable'
  /** Klippy is not connected (Moonraker's "Klippy Disconnected"). */
  | 'klippy_disconnected'
  /** Klippy did not answer in time. */
  | 'klippy_timeout'
  /** Klippy answered with something that is not a valid reply. */
  | 'klippy_invalid_reply'
  /** Not possible right now: Klippy not connected, a store busy compacting. */
  | 'unavailable'
  /** The disk is full. */
  | 'insufficient_storage'
  /** A fault of ours; the message says only what kind, the log has the rest. */
  | 'internal';

export class ServerError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

/** Moonraker's words for a lost Klippy; clients match this text in replies and in state messages. */
export const DISCONNECTED_MESSAGE = 'Klippy Disconnected';
export const klippyDisconnected = () => new ServerError('klippy_disconnected', DISCONNECTED_MESSAGE);

export const badRequest = (msg: string) => new ServerError('bad_request', msg);
export const invalidParams = (msg: string) => new ServerError('invalid_params', msg);
export const unauthorized = (msg: string) => new ServerError('unauthorized', msg);
export const forbidden = (msg: string) => new ServerError('forbidden', msg);
export const notFound = (msg: string) => new ServerError('not_found', msg);
export const notAllowed = (msg: string) => new ServerError('not_allowed', msg);
export const timedOut = (msg: string) => new ServerError('timeout', msg);
export const conflict = (msg: string) => new ServerError('conflict', msg);
export const tooLarge = (msg: string) => new ServerError('too_large', msg);
export const unprocessable = (msg: string) => new ServerError('unprocessable', msg);
export const unavailable = (msg: string) => new ServerError('unavailable', msg);
export const insufficientStorage = (msg: string) => new ServerError('insufficient_storage', msg);
export const internalError = (msg: string) => new ServerError('internal', msg);

/** Is `err` a ServerError of this kind? (Code decides by kind, never by message text.) */
export const isKind = (err: unknown, kind: ErrorKind): err is ServerError => err instanceof ServerError && err.kind === kind;

/**
 * File-system refusals that a client's own path causes (a name over the file system's limit, a
 * symlink loop) are the client's error, not a fault of ours.
 */
export function clientFsError(err: unknown): ServerError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENAMETOOLONG') return badRequest('File name or path too long');
  if (code === 'ELOOP') return badRequest('Too many levels of symbolic links');
  return undefined;
}
