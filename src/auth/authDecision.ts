// Who may use the API, decided from plain facts about one request: no sockets, no express, no
// clocks. The HTTP middleware and the websocket upgrade both gather these facts and apply the
// decision; test/auth/authDecision.test.ts holds the table of cases.
//
// The order is the spec era's: authorization disabled → a public endpoint → a trusted client
// address → the X-Api-Key header → a oneshot `?token=` → 401. An earlier rule that allows
// stops the walk, so a request with a valid key never spends a token it also carries.
import { timingSafeEqual } from 'node:crypto';
import type { TrustedClients } from './trustedClients.js';
import { originHost, hostHeaderHost, type CorsPolicy } from './corsPolicy.js';

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
  | { allow: false; status: 401; message: 'Unauthorized' };

export const UNAUTHORIZED = { allow: false, status: 401, message: 'Unauthorized' } as const;

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

export interface OriginFacts {
  /** The Origin header of a websocket upgrade; browsers always send one, other clients rarely. */
  origin: string | undefined;
  /** The Host header of the same request. */
  host: string | undefined;
  cors: CorsPolicy;
}

export type OriginDecision =
  | { allow: true; via: 'no-origin' | 'same-host' | 'cors' }
  | { allow: false; status: 403; message: string };

/**
 * A websocket upgrade's Origin: no Origin is not a browser and passes; a browser page served
 * by this host, or from an origin the CORS settings allow, passes; any other page is refused,
 * so a site the user happens to visit cannot drive their printer through the browser.
 */
export function decideOrigin(f: OriginFacts): OriginDecision {
  if (f.origin === undefined) return { allow: true, via: 'no-origin' };
  const own = hostHeaderHost(f.host);
  if (own !== undefined && originHost(f.origin) === own) return { allow: true, via: 'same-host' };
  if (f.cors.allows(f.origin)) return { allow: true, via: 'cors' };
  return { allow: false, status: 403, message: 'Origin not allowed' };
}
