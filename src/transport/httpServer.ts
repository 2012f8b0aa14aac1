// The HTTP adapter: every endpoint in the registry that has an HTTP route becomes an express
// route. Replies are `{result}`; errors carry their status and `{error: {code, message}}`.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { DownloadEndpoint, EndpointRegistry, RpcEndpoint, UploadEndpoint } from './endpointRegistry.js';
import type { ConnectionRegistry } from './connections.js';
import { badRequest, notFound, ServerError } from '../shared/errors.js';
import { httpStatusOf, kindOfHttpStatus, toServerError } from './errorCodes.js';
import { invoke } from './dispatch.js';
import { readParams } from './params.js';
import { sendFile } from './httpDownload.js';
import { receiveUpload } from './httpUpload.js';
import { checkClientJson } from './clientJson.js';
import { serializeBounded } from './replySize.js';
import { type RequestContext } from './requestContext.js';
import type { Dialect } from '../shared/dialect.js';
import { normaliseAddress } from '../shared/clientAddress.js';
import { getLogger } from '../logger.js';

const log = getLogger('http');

export interface HttpAppOptions {
  registry: EndpointRegistry;
  connections: ConnectionRegistry;
  /** Dialect of HTTP callers that name no websocket (`[server] api_dialect`). */
  dialect: Dialect;
  maxBodyBytes: number;
  /** Longest JSON reply text built (`[server] max_reply_size`); larger ones are 413. */
  maxReplyChars?: number;
  /** Middleware that runs before any route (authorization, CORS). */
  before?: express.RequestHandler[];
  /** Routes that run after the API's own, before the 404 (e.g. a web client's files). */
  after?: express.RequestHandler[];
}

export function sendError(res: Response, err: unknown): void {
  const e = toServerError(err);
  const status = httpStatusOf(e);
  // 503 (Klippy away) is an expected state, not a server fault.
  if (status >= 500 && status !== 503) log.error(`${status}: ${e.message}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(status).json({ error: { code: status, message: e.message } });
}

/**
 * Query arguments as one value per key; a repeated key is ambiguous and refused. The record has
 * no prototype: a client's `?constructor=` or `?__proto__=` is just an argument nobody reads,
 * and a name nobody sent (`force`) cannot be found on Object.prototype.
 */
export function queryArgs(query: URLSearchParams): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of query) {
    if (Object.hasOwn(out, k)) throw badRequest(`Invalid query string: "${k}" given more than once`);
    out[k] = v;
  }
  return out;
}

export function contextFor(req: Request, opts: Pick<HttpAppOptions, 'connections' | 'dialect'>, query: URLSearchParams): RequestContext {
  const connId = query.get('connection_id');
  const connection = connId !== null ? opts.connections.get(Number(connId)) : undefined;
  if (connId !== null && !connection) throw badRequest(`No websocket connection with id ${connId}`);
  return {
    transport: 'http',
    clientAddress: normaliseAddress(req.socket.remoteAddress),
    // A request made on behalf of a websocket (connection_id) is answered in that socket's dialect.
    dialect: connection?.dialect ?? opts.dialect,
    connection,
  };
}

/**
 * The route's path parameters as arguments: `/server/files/:root/*path` gives `root` and `path`,
 * a wildcard's segments (decoded by express) joined with '/'. A segment that decoded to
 * '..' or to several segments (`a%2F..`) is kept as it is; the file layer refuses it.
 */
function pathArgs(req: Request): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries((req.params ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join('/');
  }
  return out;
}

function rpcRoute(endpoint: RpcEndpoint, opts: HttpAppOptions) {
  return async (req: Request, res: Response) => {
    try {
      const query = new URL(req.originalUrl, 'http://localhost').searchParams;
      const raw = Object.assign(
        Object.create(null) as Record<string, unknown>,
        endpoint.paramsFromHttpQuery ? endpoint.paramsFromHttpQuery(query) : queryArgs(query),
      );
      const body: unknown = req.body;
      if (body !== undefined && body !== null && typeof body === 'object') {
        if (Array.isArray(body)) throw badRequest('The JSON body must be an object');
        checkClientJson(body);
        Object.assign(raw, body);
      }
      // The URL's own parameters name what the request is about: they win over query and body.
      Object.assign(raw, pathArgs(req));
      const ctx = contextFor(req, opts, query);
      const result = await invoke(endpoint, raw, ctx);
      const text = serializeBounded(endpoint.bareHttpResult ? result : { result }, opts.maxReplyChars ?? Number.MAX_SAFE_INTEGER);
      res.type('application/json').send(text);
      opts.connections.unsent.trackHttpReply(res);
    } catch (err) {
      sendError(res, err);
    }
  };
}

function downloadRoute(endpoint: DownloadEndpoint, opts: HttpAppOptions) {
  return async (req: Request, res: Response) => {
    try {
      const query = new URL(req.originalUrl, 'http://localhost').searchParams;
      const raw = Object.assign(queryArgs(query), pathArgs(req));
      const ctx = contextFor(req, opts, query);
      await sendFile(req, res, await endpoint.handler(readParams(endpoint.params, raw), ctx));
    } catch (err) {
      sendError(res, err);
    }
  };
}

function uploadRoute(endpoint: UploadEndpoint, opts: HttpAppOptions) {
  return async (req: Request, res: Response) => {
    try {
      const query = new URL(req.originalUrl, 'http://localhost').searchParams;
      await receiveUpload(req, res, endpoint, contextFor(req, opts, query));
    } catch (err) {
      sendError(res, err);
    }
  };
}

/**
 * HTTP GET and POST for the methods known only at run time (Klippy's endpoints: the registry's
 * fallback), as Moonraker serves its remote endpoints: method `printer.a.b` is `/printer/a/b`.
 * A path with a dot would name a method ambiguously, and is left to the routes after.
 */
function runtimeMethodRoute(opts: HttpAppOptions, json: express.RequestHandler): express.RequestHandler {
  return (req, res, next) => {
    const endpoint =
      (req.method === 'GET' || req.method === 'HEAD' || req.method === 'POST') && /^\/[^./]/.test(req.path) && !req.path.includes('.')
        ? opts.registry.runtimeMethod(req.path.slice(1).replaceAll('/', '.'))
        : undefined;
    if (endpoint === undefined) {
      next();
      return;
    }
    const route = rpcRoute(endpoint, opts);
    if (req.method !== 'POST') {
      void route(req, res);
      return;
    }
    json(req, res, (err?: unknown) => {
      if (err) next(err);
      else void route(req, res);
    });
  };
}

export function createHttpApp(opts: HttpAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  for (const mw of opts.before ?? []) app.use(mw);
  const json = express.json({ limit: opts.maxBodyBytes, type: ['application/json', 'application/*+json'] });
  for (const endpoint of opts.registry.all()) {
    if (!endpoint.http) continue;
    for (const verb of endpoint.http.verbs) {
      const method = verb.toLowerCase() as 'get' | 'post' | 'delete';
      if (endpoint.kind === 'rpc') app[method](endpoint.http.path, json, rpcRoute(endpoint, opts));
      else if (endpoint.kind === 'download') app[method](endpoint.http.path, downloadRoute(endpoint, opts));
      else app[method](endpoint.http.path, uploadRoute(endpoint, opts));
    }
  }
  app.use(runtimeMethodRoute(opts, json));
  for (const mw of opts.after ?? []) app.use(mw);
  app.use((_req: Request, res: Response) => sendError(res, notFound('Not Found')));
  // Body-parser failures (malformed JSON, too large) arrive here with their own status.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      const message =
        e.type === 'entity.too.large'
          ? `Request body larger than ${opts.maxBodyBytes} bytes`
          : e.type === 'entity.parse.failed'
            ? 'Malformed JSON body'
            : (e.message ?? 'Bad request');
      sendError(res, new ServerError(kindOfHttpStatus(e.status), message));
      return;
    }
    sendError(res, err);
  });
  return app;
}
