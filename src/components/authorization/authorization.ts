// The glue between the pure decisions (authDecision.ts) and the transports: express middleware
// for every HTTP request (CORS first, so even a 401 is readable by an allowed page, then the
// credential check) and the websocket upgrade check (Origin, then credentials).
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { EndpointRegistry } from '../../transport/endpointRegistry.js';
import { ServerError } from '../../shared/errors.js';
import { sendError } from '../../transport/httpServer.js';
import { normaliseAddress } from '../../shared/clientAddress.js';
import type { OneshotTokens } from './oneshotTokens.actor.js';
import { changesState, decide, decideBrowserRequest, type AuthDecision, type OriginDecision } from './authDecision.js';
import { ServerNames } from './serverNames.js';
import type { ApiKeyStore } from './apiKeyFile.js';
import type { CorsPolicy } from '../../shared/corsPolicy.js';
import type { TrustedClients } from '../../shared/trustedClients.js';
import { getLogger } from '../../logger.js';

const log = getLogger('authorization');

/** Request headers a page from an allowed origin may send. */
export const CORS_ALLOW_HEADERS =
  'Origin, Accept, Content-Type, X-Requested-With, X-CRSF-Token, Authorization, X-Access-Token, X-Api-Key';
/** Every verb an endpoint may declare (HttpVerb), and the preflight's own. */
export const CORS_ALLOW_METHODS = 'GET, POST, DELETE, OPTIONS';
/** How long (s) a browser may cache a preflight answer. */
export const CORS_MAX_AGE = 86400;

/** What the log adds to a browser refusal, for the user whose own UI it was. */
const HINT = {
  'Host not allowed': '; if browsers reach this server by that name, add it to [authorization] cors_domains',
  'Origin not allowed': '; if that page is yours, add its origin to [authorization] cors_domains',
} as const;

/** Query arguments that carry credentials: their values never reach the log. */
const SECRET_ARGS = /([?&](?:token|access_token|api_key)=)([^&#]+)/gi;

/** A URL fit for the log: the values of token-like query arguments replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_ARGS, '$1<redacted>');
}

export interface AuthorizationOptions {
  enabled: boolean;
  trustedClients: TrustedClients;
  cors: CorsPolicy;
  apiKeys: ApiKeyStore;
  tokens: OneshotTokens;
  /** The names browsers may reach this server by (default: localhost and this machine's). */
  serverNames?: ServerNames;
}

interface Credentials {
  clientAddress: string;
  apiKeyHeader: string | undefined;
  token: string | undefined;
  publicEndpoint: boolean;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function tokenOf(url: string | undefined): string | undefined {
  return new URL(url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined;
}

export class Authorization {
  private readonly serverNames: ServerNames;

  constructor(readonly opts: AuthorizationOptions) {
    this.serverNames = opts.serverNames ?? new ServerNames();
  }

  /** What a web page may make a browser do here (see decideBrowserRequest); applies even with authorization off. */
  browserCheck(stateChanging: boolean, headers: IncomingMessage['headers']): OriginDecision {
    return decideBrowserRequest({
      changesState: stateChanging,
      origin: headerValue(headers.origin),
      secFetchSite: headerValue(headers['sec-fetch-site']),
      host: headers.host,
      cors: this.opts.cors,
      isOwnName: (name) => this.serverNames.has(name),
    });
  }

  /** Decides, and spends the oneshot token when the token is what let the request in. */
  check(c: Credentials): AuthDecision {
    const { opts } = this;
    const token = c.token === '' ? undefined : c.token;
    const decision = decide({
      enabled: opts.enabled,
      publicEndpoint: c.publicEndpoint,
      clientAddress: c.clientAddress,
      trustedClients: opts.trustedClients,
      apiKeyHeader: c.apiKeyHeader,
      currentApiKey: opts.apiKeys.current,
      token,
      tokenIssuedTo: token === undefined ? undefined : opts.tokens.issuedTo(token),
    });
    if (decision.allow && decision.via === 'oneshot_token' && !opts.tokens.redeem(decision.redeem, c.clientAddress)) {
      return { allow: false, kind: 'unauthorized', message: 'Unauthorized' };
    }
    return decision;
  }

  /**
   * Middleware for createHttpApp's `before`, in order: endpoints whose GET changes state, the
   * browser check, CORS, public endpoints, credentials.
   */
  httpMiddleware(registry: EndpointRegistry): RequestHandler[] {
    // Endpoints that take GET besides a state-changing verb: a GET there is a write too.
    const getWrites = express.Router();
    for (const e of registry.all()) {
      if (!e.http?.verbs.includes('GET') || !e.http.verbs.some((v) => v !== 'GET')) continue;
      getWrites.get(e.http.path, (_req: Request, res: Response, next: NextFunction) => {
        res.locals.getChangesState = true;
        next('router');
      });
    }
    const browser: RequestHandler = (req, res, next) => {
      const d = this.browserCheck(changesState(req.method, res.locals.getChangesState === true), req.headers);
      if (d.allow) {
        next();
        return;
      }
      log.warn(
        `${req.method} ${redactUrl(req.originalUrl)} from ${normaliseAddress(req.socket.remoteAddress)} refused: ${d.message} ` +
          `(Origin ${JSON.stringify(req.get('origin') ?? null)}, Host ${JSON.stringify(req.get('host') ?? null)})${HINT[d.message]}`,
      );
      sendError(res, new ServerError(d.kind, d.message));
    };
    const publicRoutes = express.Router();
    for (const e of registry.all()) {
      if (!e.http || !e.public) continue;
      for (const v of e.http.verbs) {
        publicRoutes[v.toLowerCase() as 'get' | 'post' | 'delete'](e.http.path, (_req: Request, res: Response, next: NextFunction) => {
          res.locals.publicEndpoint = true;
          next('router');
        });
      }
    }
    const cors: RequestHandler = (req, res, next) => {
      const origin = req.get('origin');
      if (origin === undefined || !this.opts.cors.allows(origin)) {
        next();
        return;
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.append('Vary', 'Origin');
      if (req.method !== 'OPTIONS') {
        next();
        return;
      }
      // A preflight carries no credentials by design; it only asks what the page may send.
      res.setHeader('Access-Control-Allow-Methods', CORS_ALLOW_METHODS);
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', String(CORS_MAX_AGE));
      if (req.get('access-control-request-private-network') === 'true') {
        res.setHeader('Access-Control-Allow-Private-Network', 'true');
      }
      res.status(204).end();
    };
    const credentials: RequestHandler = (req, res, next) => {
      const clientAddress = normaliseAddress(req.socket.remoteAddress);
      const decision = this.check({
        clientAddress,
        apiKeyHeader: req.get('x-api-key'),
        token: tokenOf(req.originalUrl),
        publicEndpoint: res.locals.publicEndpoint === true,
      });
      log.debug(
        `${req.method} ${redactUrl(req.originalUrl)} from ${clientAddress}: ${decision.allow ? `allowed (${decision.via})` : decision.kind}`,
      );
      if (decision.allow) next();
      else sendError(res, new ServerError(decision.kind, decision.message));
    };
    // Express's router answers OPTIONS itself for paths it knows: leave preflights to `cors`.
    const markGetWrites: RequestHandler = (req, res, next) => (req.method === 'OPTIONS' ? next() : getWrites(req, res, next));
    return [markGetWrites, browser, cors, publicRoutes, credentials];
  }

  /** The websocket adapter's `authorizeUpgrade`: throws 403 for a foreign page or host, 401 without credentials. */
  readonly authorizeUpgrade = (req: IncomingMessage): void => {
    const clientAddress = normaliseAddress(req.socket.remoteAddress);
    const origin = this.browserCheck(true, req.headers);
    if (!origin.allow) {
      log.warn(
        `websocket upgrade from ${clientAddress} refused: ${origin.message} ` +
          `(Origin ${JSON.stringify(headerValue(req.headers.origin) ?? null)}, Host ${JSON.stringify(req.headers.host ?? null)})${HINT[origin.message]}`,
      );
      throw new ServerError(origin.kind, origin.message);
    }
    const decision = this.check({
      clientAddress,
      apiKeyHeader: headerValue(req.headers['x-api-key']),
      token: tokenOf(req.url),
      publicEndpoint: false,
    });
    log.debug(`websocket ${redactUrl(req.url ?? '')} from ${clientAddress}: ${decision.allow ? `allowed (${decision.via})` : decision.kind}`);
    if (!decision.allow) throw new ServerError(decision.kind, decision.message);
  };
}
