// One JSON-RPC message (request, notification or batch) answered through the registry: the
// websocket, Moonraker's unix socket and POST /server/jsonrpc all call this, so the method
// lookup, parameter checks and error shapes cannot drift apart between transports.
import type { EndpointRegistry } from './endpointRegistry.js';
import type { RequestContext } from './requestContext.js';
import type { Dialect } from '../shared/dialect.js';
import { handleJsonRpcText } from './jsonRpc.js';
import { invoke } from './dispatch.js';
import { JsonRpcError, MethodNotFound, rpcCodeOf, toServerError } from './errorCodes.js';

/** A failure with the JSON-RPC code its caller's dialect gives it (see rpcCodeOf). */
export function errorForDialect(err: unknown, dialect: Dialect): JsonRpcError {
  const e = toServerError(err);
  return new JsonRpcError(e.kind, e.message, rpcCodeOf(e, dialect));
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
