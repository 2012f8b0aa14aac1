// Serves a built web client (Mainsail's or Fluidd's release files) from `[server] web_path`,
// so a user opens one port for both the UI and the API. The UI's files are public: a browser
// must load them before it can authenticate. API paths never reach this handler.
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Path prefixes that belong to the API (or the websocket), never to the web client. */
const API_PREFIXES = ['/server/', '/printer/', '/machine/', '/access/', '/api/', '/websocket', '/debug/'];

export function webClient(webPath: string): RequestHandler {
  const root = resolve(webPath);
  const files = express.static(root, { index: 'index.html', fallthrough: true, dotfiles: 'ignore' });
  const index = join(root, 'index.html');
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || API_PREFIXES.some((p) => req.path.startsWith(p))) {
      next();
      return;
    }
    files(req, res, () => {
      // Single-page apps route in the browser: an unknown page path gets the app itself.
      if (req.accepts('html') && !/\.[a-z0-9]+$/i.test(req.path) && existsSync(index)) res.sendFile(index);
      else next();
    });
  };
}
