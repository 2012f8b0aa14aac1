// The contract between transport and the authorization component. Transport reads an HTTP
// request or a websocket upgrade into these plain facts; the component decides from them alone
// and answers what to do; transport applies the answer. So the component never sees express or
// a socket, and transport never decides who may do what.
import type { ServerError } from './errors.js';

export interface AccessRequest {
  /** The HTTP method ('GET', 'POST', 'OPTIONS', ...); a websocket upgrade is 'UPGRADE'. */
  method: string;
  /** Path and query as sent: for the log, where credentials in it are masked. */
  url: string;
  /** The peer's address, normalised (see clientAddress.ts). */
  clientAddress: string;
  /** The Origin header; browsers send it on cross-origin and on state-changing requests. */
  origin: string | undefined;
  /** The Host header. */
  host: string | undefined;
  /** The Sec-Fetch-Site header; only browsers send it. */
  secFetchSite: string | undefined;
  /** The X-Api-Key header. */
  apiKey: string | undefined;
  /** The `token` query argument (a oneshot token). */
  token: string | undefined;
  /** The endpoint is declared `public` for this method. */
  publicEndpoint: boolean;
  /** The endpoint takes a state-changing verb besides GET, so a GET to it is a write too. */
  getTakesWrites: boolean;
  /** A preflight that asks `Access-Control-Request-Private-Network: true`. */
  privateNetworkPreflight: boolean;
}

/** Response headers in the order to add them (a name may repeat, as Vary may). */
export type AccessHeaders = ReadonlyArray<readonly [name: string, value: string]>;

export type AccessAnswer =
  /** Go on to the endpoint; the headers go on its response. */
  | { outcome: 'proceed'; headers: AccessHeaders }
  /** A CORS preflight from an allowed origin: answered here, with no content, credentials or not. */
  | { outcome: 'preflight'; headers: AccessHeaders }
  /** Refused: the error's kind says the status; the headers (CORS, when allowed) go on the refusal. */
  | { outcome: 'refuse'; error: ServerError; headers: AccessHeaders };

/** What transport asks before serving a request or upgrading a websocket. */
export interface AccessPolicy {
  answer(request: AccessRequest): AccessAnswer;
}
