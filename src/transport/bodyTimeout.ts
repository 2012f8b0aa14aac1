// How long a client may take to send a request body. Node's default `requestTimeout` (300 s for
// the whole request) cut every upload that needed longer, whatever its progress: 1 GiB needs
// more than 3.4 MiB/s to make it. Instead a body may take as long as it keeps arriving, and one
// from which nothing has arrived for `idleMs` is ended (408), so a stalled client holds neither a
// socket nor, for an upload, a temp file. Time the server itself spends (a request paused while
// the disk catches up, a handler waiting on Klippy) never counts against the client.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 60_000;

export function timeOutIdleBodies(server: Server, idleMs = DEFAULT_BODY_IDLE_TIMEOUT_MS): void {
  server.requestTimeout = 0;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => watchBody(req, res, idleMs));
}

function watchBody(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || req.complete) return;
  const socket = req.socket;
  let seen = socket.bytesRead;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed) return stop();
    const now = socket.bytesRead;
    // Paused by us (back-pressure from the disk) or not read yet: not the client's idleness.
    if (now !== seen || req.readableFlowing !== true) {
      seen = now;
      return;
    }
    stop();
    if (!res.headersSent && !res.destroyed) {
      const text = JSON.stringify({ error: { code: 408, message: `Request body stalled: nothing received for ${Math.round(idleMs / 1000)} s` } });
      res.writeHead(408, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
      res.end(text, () => socket.destroy());
      setTimeout(() => socket.destroy(), 1000).unref();
    } else socket.destroy();
  }, idleMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  req.once('end', stop);
  req.once('close', stop);
}
