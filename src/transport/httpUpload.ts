// The HTTP side of an upload endpoint: hands the handler the request body (UploadSource), then
// answers with its JSON reply (201 Created with a Location when the handler names where the new
// file is served, else 200) or with its error. A failure that leaves the body unread (refused on
// its declared length, a malformed part, an oversized body) is answered with `Connection: close`
// and the request dropped once the answer is out, so the rest of an unwanted body is never read
// and never holds the connection.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, timedOut } from '../shared/errors.js';
import type { UploadEndpoint } from './endpointRegistry.js';
import type { RequestContext } from './requestContext.js';
import { httpStatusOf, toServerError } from './errorCodes.js';
import { getLogger } from '../logger.js';

const log = getLogger('upload');

function sendJson(res: ServerResponse, status: number, body: unknown, close: boolean, headers: Record<string, string> = {}): void {
  // A reply made for us already (the body stalled: bodyTimeout.ts) stands; it must not be cut.
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

/** Scheme, host and port as the client addressed us (for a Location header). */
function originOf(req: IncomingMessage): string {
  const socket = req.socket as { encrypted?: boolean; localAddress?: string; localPort?: number };
  const host = req.headers.host ?? `${socket.localAddress ?? 'localhost'}:${socket.localPort ?? ''}`;
  return `${socket.encrypted ? 'https' : 'http'}://${host}`;
}

/** Serves one upload request from its headers to its reply. */
export async function receiveUpload(req: IncomingMessage, res: ServerResponse, endpoint: UploadEndpoint, ctx: RequestContext): Promise<void> {
  const abandon = new AbortController();
  // The response closing before the request completed: a reply was made for us (the body
  // stalled) or the client went away; the request closing early: the client hung up.
  const onResClose = () => {
    if (!req.complete) abandon.abort(timedOut('Upload stalled'));
  };
  const onReqClose = () => {
    if (!req.complete) abandon.abort(badRequest('Upload aborted by the client'));
  };
  res.on('close', onResClose);
  req.on('close', onReqClose);
  const declared = req.headers['content-length'] === undefined ? NaN : Number(req.headers['content-length']);
  try {
    const made = await endpoint.handler(
      {
        contentType: req.headers['content-type'],
        declaredLength: Number.isFinite(declared) ? declared : undefined,
        body: req,
        abandoned: abandon.signal,
      },
      ctx,
    );
    if (made.location === undefined) sendJson(res, 200, made.body, false);
    else sendJson(res, 201, made.body, false, { Location: `${originOf(req)}${made.location}` });
  } catch (err) {
    const e = toServerError(err);
    const status = httpStatusOf(e);
    if (status < 500) log.info(`upload refused: ${e.message}`);
    else log.error(`upload failed (${status}): ${e.message}`);
    const reply = { error: { code: status, message: e.message } };
    // The body left unread (never read, or paused mid-way) is not waited for; one the handler
    // left flowing (UploadSource.body) is read and dropped, and the connection kept.
    if (!req.complete && !req.destroyed && req.readableFlowing !== true) {
      sendJson(res, status, reply, true);
      res.once('finish', () => req.destroy());
    } else {
      sendJson(res, status, reply, false);
    }
  } finally {
    res.off('close', onResClose);
    req.off('close', onReqClose);
  }
}
