// Authorization's HTTP side: read a request or a websocket upgrade into the plain facts of
// shared/accessRequest.ts, ask the policy (the authorization component), apply its answer. Which
// endpoint a path is, and so whether it is public or takes writes over GET, is known here from
// the registry's routes; who may do what is known only to the policy.
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { EndpointRegistry } from './endpointRegistry.js';
import type { AccessPolicy, AccessRequest } from '../shared/accessRequest.js';
import { normaliseAddress } from '../shared/clientAddress.js';
import { sendError } from './httpServer.js';

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The facts of `req` as the policy needs them; `url` is the path as the client sent it. */
function accessRequestOf(req: IncomingMessage, method: string, url: string, endpoint: Pick<AccessRequest, 'publicEndpoint' | 'getTakesWrites'>): AccessRequest {
  const h = req.headers;
  return {
    method,
    url,
    clientAddress: normaliseAddress(req.socket.remoteAddress),
    origin: first(h.origin),
    host: h.host,
    secFetchSite: first(h['sec-fetch-site']),
    apiKey: first(h['x-api-key']),
    token: new URL(url, 'http://localhost').searchParams.get('token') ?? undefined,
    privateNetworkPreflight: first(h['access-control-request-private-network']) === 'true',
    ...endpoint,
  };
}

type Verb = 'get' | 'post' | 'delete' | 'options';

/** A router that sets `res.locals[flag]` on the given routes and always passes the request on. */
function marker(flag: string, routes: Iterable<readonly [verb: Verb, path: string]>): RequestHandler {
  const router = express.Router();
  for (const [verb, path] of routes) {
    router[verb](path, (_req: Request, res: Response, next: NextFunction) => {
      res.locals[flag] = true;
      next('router');
    });
  }
  return router;
}

/** Middleware for createHttpApp's `before`: every request is let through, answered or refused as `policy` says. */
export function httpAuthorization(registry: EndpointRegistry, policy: AccessPolicy): RequestHandler[] {
  const endpoints = registry.all().flatMap((e) => (e.http ? [{ ...e.http, public: e.public === true }] : []));
  // Endpoints that take GET besides a state-changing verb: a GET there is a write too. Express's
  // router answers OPTIONS itself for a path it knows only other verbs of: preflights are the policy's.
  const getWritesRouter = marker(
    'getTakesWrites',
    endpoints.filter((e) => e.verbs.includes('GET') && e.verbs.some((v) => v !== 'GET')).map((e) => ['get', e.path] as const),
  );
  const getWrites: RequestHandler = (req, res, next) => (req.method === 'OPTIONS' ? next() : getWritesRouter(req, res, next));
  // A public endpoint's declared verbs, and OPTIONS on its path (which only asks what it allows;
  // the app's router answers it once the policy lets it through).
  const publicRoutes = marker(
    'publicEndpoint',
    endpoints
      .filter((e) => e.public)
      .flatMap((e) => [...e.verbs.map((v) => [v.toLowerCase() as Verb, e.path] as const), ['options', e.path] as const]),
  );
  const apply: RequestHandler = (req, res, next) => {
    const answer = policy.answer(
      accessRequestOf(req, req.method, req.originalUrl, {
        publicEndpoint: res.locals.publicEndpoint === true,
        getTakesWrites: res.locals.getTakesWrites === true,
      }),
    );
    for (const [name, value] of answer.headers) res.append(name, value);
    if (answer.outcome === 'proceed') next();
    else if (answer.outcome === 'preflight') res.status(204).end();
    else sendError(res, answer.error);
  };
  return [getWrites, publicRoutes, apply];
}

/** attachWebsocket's `authorizeUpgrade`: throws the policy's refusal (403 foreign page or host, 401 no credentials). */
export function upgradeAuthorization(policy: AccessPolicy): (req: IncomingMessage) => void {
  return (req) => {
    const answer = policy.answer(accessRequestOf(req, 'UPGRADE', req.url ?? '/', { publicEndpoint: false, getTakesWrites: false }));
    if (answer.outcome === 'refuse') throw answer.error;
  };
}
