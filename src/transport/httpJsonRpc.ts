// POST /server/jsonrpc: JSON-RPC over plain HTTP, as Moonraker serves it for clients that
// cannot hold a websocket open. The body is one JSON-RPC request (or a batch), the reply the
// JSON-RPC response: 200 even when the call failed (the error is in the body, as on the
// websocket); a notification gets an empty 200. Authorization already ran (HTTP middleware).
import express, { type Request, type Response, type Router } from 'express';
import type { EndpointRegistry } from './endpointRegistry.js';
import type { ConnectionRegistry } from './connections.js';
import { badRequest } from '../shared/errors.js';
import { contextFor, sendError } from './httpServer.js';
import { answerJsonRpc } from './rpcCall.js';

export const JSONRPC_HTTP_PATH = '/server/jsonrpc';

export interface HttpJsonRpcOptions {
  registry: EndpointRegistry;
  connections: ConnectionRegistry;
  maxBodyBytes: number;
  /** The largest reply built; past it the reply is a 413 error (replySize.ts). */
  maxReplyChars?: number;
}

export function httpJsonRpc(opts: HttpJsonRpcOptions): Router {
  const router = express.Router();
  router.post(
    JSONRPC_HTTP_PATH,
    (req: Request, res: Response, next) => {
      if (!req.is('application/json')) sendError(res, badRequest('Invalid content type, application/json required'));
      else next();
    },
    // The text as sent: the JSON-RPC layer answers a parse error itself, as on the websocket.
    express.text({ type: () => true, limit: opts.maxBodyBytes }),
    async (req: Request, res: Response) => {
      try {
        const query = new URL(req.originalUrl, 'http://localhost').searchParams;
        // Not in the spec: today's dialect, unless the request names a websocket (then its own).
        const ctx = contextFor(req, { connections: opts.connections, dialect: 'current' }, query);
        const text = typeof req.body === 'string' ? req.body : '';
        const reply = await answerJsonRpc(opts.registry, text, () => ctx, opts.maxReplyChars);
        if (reply === undefined) res.status(200).end();
        else res.status(200).type('application/json').send(reply);
      } catch (err) {
        sendError(res, err);
      }
    },
  );
  return router;
}
