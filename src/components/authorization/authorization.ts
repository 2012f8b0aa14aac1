// The authorization component's answer to one request, from the facts transport gathered (see
// shared/accessRequest.ts): the browser check first (a foreign page or a foreign Host is refused
// before anything else), then CORS (so even a 401 is readable by an allowed page, and an allowed
// preflight is answered without credentials), then the credentials (authDecision.ts). It logs
// each refusal and decision; transport/httpAuthorization.ts applies the answer.
import { ServerError } from '../../shared/errors.js';
import type { AccessAnswer, AccessHeaders, AccessPolicy, AccessRequest } from '../../shared/accessRequest.js';
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

export class Authorization implements AccessPolicy {
  private readonly serverNames: ServerNames;

  constructor(readonly opts: AuthorizationOptions) {
    this.serverNames = opts.serverNames ?? new ServerNames();
  }

  /** What a web page may make a browser do here (see decideBrowserRequest); applies even with authorization off. */
  private browserCheck(r: AccessRequest): OriginDecision {
    return decideBrowserRequest({
      changesState: changesState(r.method, r.getTakesWrites),
      origin: r.origin,
      secFetchSite: r.secFetchSite,
      host: r.host,
      cors: this.opts.cors,
      isOwnName: (name) => this.serverNames.has(name),
    });
  }

  /** Decides, and spends the oneshot token when the token is what let the request in. */
  private check(r: AccessRequest): AuthDecision {
    const { opts } = this;
    const token = r.token === '' ? undefined : r.token;
    const decision = decide({
      enabled: opts.enabled,
      publicEndpoint: r.publicEndpoint,
      clientAddress: r.clientAddress,
      trustedClients: opts.trustedClients,
      apiKeyHeader: r.apiKey,
      currentApiKey: opts.apiKeys.current,
      token,
      tokenIssuedTo: token === undefined ? undefined : opts.tokens.issuedTo(token),
    });
    if (decision.allow && decision.via === 'oneshot_token' && !opts.tokens.redeem(decision.redeem, r.clientAddress)) {
      return { allow: false, kind: 'unauthorized', message: 'Unauthorized' };
    }
    return decision;
  }

  /** The CORS headers for an allowed Origin (none for others, and none on a websocket, which has no CORS). */
  private corsHeaders(r: AccessRequest): AccessHeaders {
    if (r.method === 'UPGRADE' || r.origin === undefined || !this.opts.cors.allows(r.origin)) return [];
    const headers: [string, string][] = [
      ['Access-Control-Allow-Origin', r.origin],
      ['Vary', 'Origin'],
    ];
    if (r.method !== 'OPTIONS') return headers;
    headers.push(
      ['Access-Control-Allow-Methods', CORS_ALLOW_METHODS],
      ['Access-Control-Allow-Headers', CORS_ALLOW_HEADERS],
      ['Access-Control-Max-Age', String(CORS_MAX_AGE)],
    );
    if (r.privateNetworkPreflight) headers.push(['Access-Control-Allow-Private-Network', 'true']);
    return headers;
  }

  /** Whether `r` may proceed, with which headers; logs refusals (warn) and decisions (debug). */
  answer(r: AccessRequest): AccessAnswer {
    const upgrade = r.method === 'UPGRADE';
    const browser = this.browserCheck(r);
    if (!browser.allow) {
      log.warn(
        `${upgrade ? 'websocket upgrade' : `${r.method} ${redactUrl(r.url)}`} from ${r.clientAddress} refused: ${browser.message} ` +
          `(Origin ${JSON.stringify(r.origin ?? null)}, Host ${JSON.stringify(r.host ?? null)})${HINT[browser.message]}`,
      );
      return { outcome: 'refuse', error: new ServerError(browser.kind, browser.message), headers: [] };
    }
    const headers = this.corsHeaders(r);
    // A preflight carries no credentials by design; it only asks what the page may send.
    if (r.method === 'OPTIONS' && headers.length > 0) return { outcome: 'preflight', headers };
    const decision = this.check(r);
    log.debug(
      `${upgrade ? 'websocket' : r.method} ${redactUrl(r.url)} from ${r.clientAddress}: ${decision.allow ? `allowed (${decision.via})` : decision.kind}`,
    );
    return decision.allow
      ? { outcome: 'proceed', headers }
      : { outcome: 'refuse', error: new ServerError(decision.kind, decision.message), headers };
  }
}
