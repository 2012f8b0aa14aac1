// One declaration per endpoint serves both transports: its JSON-RPC method name, its HTTP verbs
// and path, its parameters and its handler. The HTTP and websocket adapters only read this
// registry; a new endpoint is one entry in a component's endpoint list (src/components/).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParamsOf, ParamsSpec } from './params.js';
import type { RequestContext } from './requestContext.js';

export type HttpVerb = 'GET' | 'POST' | 'DELETE';

export interface HttpRoute {
  verbs: HttpVerb[];
  /** Express path syntax, e.g. `/server/files/:root/*path`. */
  path: string;
}

export interface RpcEndpoint<P extends ParamsSpec = ParamsSpec> {
  kind: 'rpc';
  /** JSON-RPC method name, and the endpoint's identity everywhere (logs, auth matrix, docs). */
  method: string;
  description: string;
  http?: HttpRoute;
  /** Served over the websocket too (default). The spec keeps some HTTP-only (uploads, /access). */
  websocket: boolean;
  params: P;
  /** HTTP only: read the parameters from the raw query string (the objects form). */
  paramsFromHttpQuery?: (query: URLSearchParams) => Record<string, unknown>;
  /** Reachable without credentials (the authorization layer reads this). */
  public?: boolean;
  /** HTTP replies with the value itself instead of `{result}` (OctoPrint's API shape). */
  bareHttpResult?: boolean;
  /** The handler gets the caller's arguments as sent (Klippy's own endpoints check their own). */
  rawParams?: boolean;
  handler(params: ParamsOf<P>, ctx: RequestContext): unknown;
}

/** Endpoints that speak HTTP bytes rather than JSON values: downloads and uploads. */
export interface RawHttpEndpoint {
  kind: 'raw-http';
  method: string;
  description: string;
  http: HttpRoute;
  public?: boolean;
  handler(req: IncomingMessage & { params?: Record<string, unknown> }, res: ServerResponse, ctx: RequestContext): Promise<void>;
}

export type Endpoint = RpcEndpoint | RawHttpEndpoint;

/** Declares an RPC endpoint with its handler's parameters inferred from `params`. */
export function rpc<P extends ParamsSpec>(
  decl: Omit<RpcEndpoint<P>, 'kind' | 'websocket'> & { websocket?: boolean },
): RpcEndpoint {
  return { kind: 'rpc', websocket: true, ...decl } as unknown as RpcEndpoint;
}

export function rawHttp(decl: Omit<RawHttpEndpoint, 'kind'>): RawHttpEndpoint {
  return { kind: 'raw-http', ...decl };
}

export class EndpointRegistry {
  private readonly byMethod = new Map<string, Endpoint>();
  /** Methods known only at run time (Klippy's endpoints), asked when no declared one matches. */
  private fallback: ((method: string) => RpcEndpoint | undefined) | undefined;

  /** Sets the lookup for methods not declared here; declared endpoints always win. */
  setFallback(lookup: (method: string) => RpcEndpoint | undefined): this {
    this.fallback = lookup;
    return this;
  }

  add(...endpoints: Endpoint[]): this {
    for (const e of endpoints) {
      if (this.byMethod.has(e.method)) throw new Error(`endpoint ${e.method} declared twice`);
      this.byMethod.set(e.method, e);
    }
    return this;
  }

  /** The endpoint a websocket may call by this name, if any. */
  rpcMethod(method: string): RpcEndpoint | undefined {
    const e = this.byMethod.get(method);
    if (e) return e.kind === 'rpc' && e.websocket ? e : undefined;
    return this.fallback?.(method);
  }

  /** A method known only at run time (the fallback), never a declared one. */
  runtimeMethod(method: string): RpcEndpoint | undefined {
    return this.byMethod.has(method) ? undefined : this.fallback?.(method);
  }

  has(method: string): boolean {
    return this.byMethod.has(method);
  }

  all(): Endpoint[] {
    return [...this.byMethod.values()];
  }
}
