// The websocket adapter at /websocket: JSON-RPC 2.0 over text (or binary) frames, answered
// through the same registry and dispatch as HTTP. A malformed message gets an error reply; it
// never closes the connection.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData } from 'ws';
import type { EndpointRegistry } from './endpointRegistry.js';
import type { ConnectionRegistry } from './connections.js';
import { WsConnection } from './wsConnection.js';
import { answerJsonRpc } from './rpcCall.js';
import { normaliseAddress } from '../shared/clientAddress.js';
import { httpStatusOf, toServerError } from './errorCodes.js';
import { writeRawHttpError } from './rawHttpError.js';
import { getLogger } from '../logger.js';

const log = getLogger('websocket');

export interface WebsocketOptions {
  registry: EndpointRegistry;
  connections: ConnectionRegistry;
  maxMessageBytes: number;
  maxBacklogBytes: number;
  /** Longest reply text built for one message (a batch's replies together); see replySize.ts. */
  maxReplyChars?: number;
  /** Decides whether an upgrade may proceed; throws ServerError (e.g. 401) to refuse it. */
  authorizeUpgrade?: (req: IncomingMessage) => void;
  /** Other websocket paths (e.g. /debug/inspect), upgraded only after authorizeUpgrade passes. */
  upgradeRoutes?: ReadonlyMap<string, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
}

function rawToText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export function attachWebsocket(server: Server, opts: WebsocketOptions): WebSocketServer {
  // We decode UTF-8 ourselves (invalid bytes become U+FFFD and then a JSON parse error reply),
  // because the library would otherwise close the connection on them.
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes, skipUTF8Validation: true });
  // A reply the backlog limit would drop the client for is refused as too large instead.
  const maxReplyChars = Math.min(opts.maxReplyChars ?? Number.MAX_SAFE_INTEGER, opts.maxBacklogBytes);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = opts.upgradeRoutes?.get(path);
    if (path !== '/websocket' && !route) {
      writeRawHttpError(socket, 404, 'Not Found');
      return;
    }
    try {
      opts.authorizeUpgrade?.(req);
    } catch (err) {
      const e = toServerError(err);
      writeRawHttpError(socket, httpStatusOf(e), e.message);
      return;
    }
    if (route) {
      route(req, socket, head);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new WsConnection(
        opts.connections.allocateId(),
        ws,
        normaliseAddress(req.socket.remoteAddress),
        opts.maxBacklogBytes,
        (c) => opts.connections.remove(c),
        opts.connections.unsent.enforce,
      );
      opts.connections.add(conn);
      log.debug(`websocket ${conn.id} opened from ${conn.clientAddress}`);
      ws.on('message', (data) => {
        const text = rawToText(data);
        void answerJsonRpc(
          opts.registry,
          text,
          () => ({
            transport: 'websocket',
            clientAddress: conn.clientAddress,
            dialect: conn.dialect,
            connection: conn,
          }),
          maxReplyChars,
        ).then(
          (reply) => {
            if (reply !== undefined) conn.send(reply);
          },
          // answerJsonRpc never throws by contract; if it ever does, it is a bug to log, not a crash.
          (err: unknown) => log.error(`websocket ${conn.id}: message not answered: ${err instanceof Error ? err.message : String(err)}`),
        );
      });
    });
  });
  return wss;
}
