// One JSON-RPC message (request, notification or batch) answered through the registry: the
// websocket, Moonraker's unix socket and POST /server/jsonrpc all call this, so the method
// lookup, parameter checks and error shapes cannot drift apart between transports.
import type { EndpointRegistry } from './endpointRegistry.js';
import type { RequestContext } from './requestContext.js';
import { handleJsonRpcText, MethodNotFound } from './jsonRpc.js';
import { invoke } from './dispatch.js';

/** The reply text for `text`, or undefined when nothing is to be sent. Never throws. */
export function answerJsonRpc(registry: EndpointRegistry, text: string, ctx: () => RequestContext): Promise<string | undefined> {
  return handleJsonRpcText(text, async ({ method, params }) => {
    const endpoint = registry.rpcMethod(method);
    if (!endpoint) throw new MethodNotFound(method);
    return invoke(endpoint, params, ctx());
  });
}
