// Every endpoint Klippy registers, exposed as Moonraker exposes its "remote endpoints": Klippy's
// `a/b` is JSON-RPC `printer.a.b` and (served by the HTTP adapter for every method the
// registry's fallback knows) HTTP GET or POST `/printer/a/b`, its arguments passed
// through and its reply returned as Klippy sent it. The list comes from Klippy's own
// list_endpoints at each connection, so extras (bed_mesh/dump_mesh, motion_report/dump_*...)
// appear with the printer that has them. Declared endpoints win: they shape replies as clients
// expect. The few Moonraker keeps to itself are never exposed. Transport serves these methods
// over HTTP too (GET and POST /printer/a/b), as it serves any method found at run time.
import { rpc, type RpcEndpoint } from '../../transport/endpointRegistry.js';
import type { KlippyConnection } from '../../actors/klippyConnection.actor.js';
import type { JsonObject } from '../../shared/klippyProtocol.js';

/** Klippy endpoints that belong to the connection itself (Moonraker reserves the same). */
export const RESERVED_KLIPPY_ENDPOINTS: ReadonlySet<string> = new Set(['list_endpoints', 'gcode/subscribe_output', 'register_remote_method']);

/** Arguments that carry credentials or name a websocket, never Klippy's. */
const TRANSPORT_ARGS = ['token', 'access_token', 'api_key', 'connection_id'];

/** The Klippy endpoint behind a JSON-RPC method name, if Klippy registered it. */
function klippyEndpointOf(klippy: KlippyConnection, method: string): string | undefined {
  if (!method.startsWith('printer.')) return undefined;
  return klippy.endpoints.find((ep) => !RESERVED_KLIPPY_ENDPOINTS.has(ep) && `printer.${ep.replaceAll('/', '.')}` === method);
}

function forward(klippy: KlippyConnection, endpoint: string, args: Record<string, unknown>): Promise<JsonObject> {
  const params: JsonObject = { ...args };
  for (const k of TRANSPORT_ARGS) delete params[k];
  return klippy.request(endpoint, params);
}

/** The registry's fallback: an endpoint for `printer.*` methods Klippy registered. */
export function klippyRemoteMethod(klippy: KlippyConnection): (method: string) => RpcEndpoint | undefined {
  return (method) => {
    const endpoint = klippyEndpointOf(klippy, method);
    if (endpoint === undefined) return undefined;
    return rpc({
      method,
      description: `Klippy's ${endpoint}`,
      params: {},
      rawParams: true,
      handler: (args) => forward(klippy, endpoint, args),
    });
  };
}
