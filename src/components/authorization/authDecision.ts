// Who may use the API, decided from plain facts about one request: no sockets, no express, no
// clocks. The HTTP middleware and the websocket upgrade both gather these facts and apply the
// decision; test/auth/authDecision.test.ts holds the table of cases.
//
// The order is the spec era's: authorization disabled → a public endpoint → a trusted client
// address → the X-Api-Key header → a oneshot `?token=` → 401. An earlier rule that allows
// stops the walk, so a request with a valid key never spends a token it also carries.
import { timingSafeEqual } from 'node:crypto';
import type { TrustedClients } from '../../shared/trustedClients.js';
import { originHost, hostHeaderHost, type CorsPolicy } from '../../shared/corsPolicy.js';
import { hostNameOf } from './serverNames.js';

export interface RequestFacts {
  /** `[authorization] enabled`. */
  enabled: boolean;
  /** The endpoint is declared `public` (reachable without credentials). */
  publicEndpoint: boolean;
  /** The peer's address as the socket reports it. */
  clientAddress: string;
  trustedClients: TrustedClients;
  /** The X-Api-Key header, if sent. */
  apiKeyHeader: string | undefined;
  currentApiKey: string;
  /** The `token` query argument, if sent (an empty one counts as none). */
  token: string | undefined;
  /** The address the token was issued to, if it is a live (unused, unexpired) token. */
  tokenIssuedTo: string | undefined;
}

export type AllowedVia = 'disabled' | 'public' | 'trusted' | 'api_key' | 'oneshot_token';

export type AuthDecision =
  | { allow: true; via: Exclude<AllowedVia, 'oneshot_token'> }
  /** Allowed by the token, which the caller must now mark used (in the same tick). */
  | { allow: true; via: 'oneshot_token'; redeem: string }
  | { allow: false; kind: 'unauthorized'; message: 'Unauthorized' };

export const UNAUTHORIZED = { allow: false, kind: 'unauthorized', message: 'Unauthorized' } as const;

/** Constant-time comparison: how long a wrong key takes to refuse says nothing about the key. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

export function decide(f: RequestFacts): AuthDecision {
  if (!f.enabled) return { allow: true, via: 'disabled' };
  if (f.publicEndpoint) return { allow: true, via: 'public' };
  if (f.trustedClients.contains(f.clientAddress)) return { allow: true, via: 'trusted' };
  if (f.apiKeyHeader !== undefined && f.apiKeyHeader !== '' && sameSecret(f.apiKeyHeader, f.currentApiKey)) {
    return { allow: true, via: 'api_key' };
  }
  if (f.token !== undefined && f.token !== '' && f.tokenIssuedTo !== undefined && f.tokenIssuedTo === f.clientAddress) {
    return { allow: true, via: 'oneshot_token', redeem: f.token };
  }
  return UNAUTHORIZED;
}

export interface BrowserFacts {
  /** Whether the request may change state (see changesState). */
  changesState: boolean;
  /** The Origin header; browsers send it on every cross-origin request and on non-GET ones. */
  origin: string | undefined;
  /** The Sec-Fetch-Site header; only browsers send it. */
  secFetchSite: string | undefined;
  /** The Host header of the same request. */
  host: string | undefined;
  cors: CorsPolicy;
  /** Whether a host name (no port) is one of this server's (see ServerNames). */
  isOwnName: (name: string) => boolean;
}

export type OriginDecision =
  | { allow: true; via: 'not-browser' | 'read-only' | 'same-origin' | 'cors' }
  | { allow: false; kind: 'forbidden'; message: 'Origin not allowed' | 'Host not allowed' };

/** Methods that may not change state: a foreign page may send them, it just cannot read the answer. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request may change state: any method but GET, HEAD and OPTIONS, and a GET to an
 * endpoint that also takes a state-changing verb (GET /printer/gcode/script runs gcode as POST
 * does, and an <img> tag on any site can send a GET). Websocket upgrades pass 'UPGRADE'.
 */
export function changesState(method: string, endpointAlsoTakesWrites: boolean): boolean {
  return !SAFE_METHODS.has(method.toUpperCase()) || (method.toUpperCase() !== 'OPTIONS' && endpointAlsoTakesWrites);
}

/**
 * What a web page may make the user's browser do here, before credentials are looked at (a
 * trusted address or a stored credential is the browser's, not the page's):
 * - a request without Origin or Sec-Fetch-Site is not from a browser (curl, KlipperScreen,
 *   scripts) and is not this rule's business;
 * - from a browser, the Host must be one of this server's names or a name cors_domains lists,
 *   or a page whose own name was re-pointed at this address (DNS rebinding) would pass as
 *   same-origin;
 * - a state-changing request (see changesState; a websocket upgrade too) must come from a page
 *   of this very origin or one cors_domains allows: a cross-site text/plain POST needs no
 *   preflight, so CORS headers alone would not stop it.
 */
export function decideBrowserRequest(f: BrowserFacts): OriginDecision {
  if (f.origin === undefined && f.secFetchSite === undefined) return { allow: true, via: 'not-browser' };
  const hostName = hostNameOf(f.host);
  if (hostName === undefined || !(f.isOwnName(hostName) || f.cors.allowsHostName(hostName))) {
    return { allow: false, kind: 'forbidden', message: 'Host not allowed' };
  }
  if (!f.changesState) return { allow: true, via: 'read-only' };
  if (f.origin === undefined) {
    // A browser sends Origin with every state-changing request it makes for a page; without
    // one, only its own fetch metadata says whether another site asked.
    return f.secFetchSite === 'same-origin' || f.secFetchSite === 'none'
      ? { allow: true, via: 'same-origin' }
      : { allow: false, kind: 'forbidden', message: 'Origin not allowed' };
  }
  const own = hostHeaderHost(f.host);
  if (own !== undefined && originHost(f.origin) === own) return { allow: true, via: 'same-origin' };
  if (f.cors.allows(f.origin)) return { allow: true, via: 'cors' };
  return { allow: false, kind: 'forbidden', message: 'Origin not allowed' };
}
