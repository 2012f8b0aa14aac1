// One JSON-RPC message (request, notification or batch) answered through the registry: the
// websocket, Moonraker's unix socket and POST /server/jsonrpc all call this, so the method
// lookup, parameter checks and error shapes cannot drift apart between transports.
import type { EndpointRegistry } from './endpointRegistry.js';
import type { Dialect, RequestContext } from './requestContext.js';
import { handleJsonRpcText, MethodNotFound } from './jsonRpc.js';
import { invoke } from './dispatch.js';
import { ApiError, JSONRPC_INVALID_PARAMS, JSONRPC_METHOD_NOT_FOUND, toApiError } from './apiError.js';

/**
 * The JSON-RPC code of a failure. The spec's server sent the HTTP status as the code; today's
 * Moonraker turns a 404 (a missing namespace, file or key) into -32601 and a 401 into -32602
 * (common.py, execute_method), and clients written for it (Mainsail, Fluidd) read those.
 */
export function errorForDialect(err: unknown, dialect: Dialect): ApiError {
  const e = toApiError(err);
  if (dialect !== 'current' || e.jsonRpcCode !== undefined) return e;
  if (e.status === 404) return new ApiError(e.status, e.message, JSONRPC_METHOD_NOT_FOUND);
  if (e.status === 401) return new ApiError(e.status, e.message, JSONRPC_INVALID_PARAMS);
  return e;
}

/** The reply text for `text`, or undefined when nothing is to be sent. Never throws. */
export function answerJsonRpc(
  registry: EndpointRegistry,
  text: string,
  ctx: () => RequestContext,
  /** The largest reply text built (replySize.ts); past it the reply is a 413 error. */
  maxReplyChars?: number,
): Promise<string | undefined> {
  return handleJsonRpcText(text, async ({ method, params }) => {
    const endpoint = registry.rpcMethod(method);
    if (!endpoint) throw new MethodNotFound(method);
    const c = ctx();
    try {
      return await invoke(endpoint, params, c);
    } catch (err) {
      // The dialect after the call: server.connection.identify switches it for what follows only.
      throw errorForDialect(err, c.dialect);
    }
  }, maxReplyChars);
}
