// The single path from a transport to a handler: check the parameters, run the handler.
// Both adapters call this, so validation and error shaping cannot differ between them.
import { readParams } from './params.js';
import type { RpcEndpoint } from './endpointRegistry.js';
import type { RequestContext } from './requestContext.js';

export async function invoke(endpoint: RpcEndpoint, raw: Record<string, unknown>, ctx: RequestContext): Promise<unknown> {
  const params = endpoint.rawParams ? raw : readParams(endpoint.params, raw);
  const result: unknown = await endpoint.handler(params, ctx);
  return result === undefined ? 'ok' : result;
}
