// What a download or upload endpoint and the transport hand each other, without HTTP in it. The
// file layer names the file to send, or reads the body it is given and says what was made; the
// transport (src/transport/httpDownload.ts, httpUpload.ts) turns that into requests and replies.
import type { Readable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';

/**
 * A file to send to a client, as a download handler returns it: already open, so what was
 * checked (inside its root, a regular file) is what is sent, even if a folder on the way is
 * swapped for a link meanwhile. The transport closes it.
 */
export interface FileToSend {
  handle: FileHandle;
  /** Its size and last modification (seconds since the epoch), from the open file. */
  size: number;
  modified: number;
  /** The name the client is offered; its extension gives the type. */
  name: string;
}

/** An upload's body as the transport hands it to an upload handler. */
export interface UploadSource {
  /** The body's declared media type, with its parameters (the multipart boundary). */
  contentType: string | undefined;
  /** The length the client announced, when it announced one; a handler may refuse on it before reading. */
  declaredLength: number | undefined;
  /**
   * The body's bytes. A handler that fails before the body ended need not drain it: if it leaves
   * the body unread or paused, the transport answers and drops the rest with the connection; if
   * it leaves the body flowing (`resume()`), the rest is read and dropped and the connection kept.
   */
  body: Readable;
  /**
   * Fires when the body will never be complete: the client stopped sending (it has been answered
   * already, src/transport/bodyTimeout.ts) or hung up. Its `reason` is the ServerError to fail with.
   */
  abandoned: AbortSignal;
}

/** What an upload handler made. */
export interface UploadResult {
  /** The whole reply value (not wrapped again in `{result}`). */
  body: Record<string, unknown>;
  /**
   * Where the new file is served, as a path on this server (`/server/files/gcodes/a.gcode`), for
   * the dialects that answer an upload with 201 Created; absent, the answer is a plain 200.
   */
  location?: string;
}
