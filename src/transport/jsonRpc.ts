// JSON-RPC 2.0 framing for the websocket: parse, validate, batch, and shape replies. It knows
// nothing of our endpoints: `call` does the work and throws ApiError for failures.
import {
  ApiError,
  JSONRPC_INVALID_PARAMS,
  JSONRPC_INVALID_REQUEST,
  JSONRPC_METHOD_NOT_FOUND,
  JSONRPC_PARSE_ERROR,
  toApiError,
} from './apiError.js';
import { checkClientJson } from './clientJson.js';

export type RpcId = string | number | null;

export interface RpcCall {
  method: string;
  params: Record<string, unknown>;
}

export class MethodNotFound extends ApiError {
  constructor(method: string) {
    super(404, `Method not found: ${method}`, JSONRPC_METHOD_NOT_FOUND);
  }
}

type Reply = { jsonrpc: '2.0'; id: RpcId } & ({ result: unknown } | { error: { code: number; message: string } });

function errorReply(id: RpcId, code: number, message: string): Reply {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function isValidId(id: unknown): id is RpcId | undefined {
  return id === undefined || id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

async function handleOne(msg: unknown, call: (c: RpcCall) => Promise<unknown>): Promise<Reply | undefined> {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return errorReply(null, JSONRPC_INVALID_REQUEST, 'Invalid Request: not an object');
  }
  const m = msg as Record<string, unknown>;
  const id = isValidId(m.id) ? m.id : null;
  if (!isValidId(m.id)) return errorReply(null, JSONRPC_INVALID_REQUEST, 'Invalid Request: bad id');
  if (m.jsonrpc !== '2.0') return errorReply(id ?? null, JSONRPC_INVALID_REQUEST, 'Invalid Request: jsonrpc must be "2.0"');
  if (typeof m.method !== 'string' || m.method === '') {
    return errorReply(id ?? null, JSONRPC_INVALID_REQUEST, 'Invalid Request: method must be a string');
  }
  // A request without an id is a notification: run it, answer nothing (JSON-RPC 2.0, section 4.1).
  const isNotification = !('id' in m);
  let params: Record<string, unknown>;
  if (m.params === undefined || m.params === null) params = {};
  else if (typeof m.params === 'object' && !Array.isArray(m.params)) params = m.params as Record<string, unknown>;
  else {
    return isNotification
      ? undefined
      : errorReply(id ?? null, JSONRPC_INVALID_PARAMS, 'Invalid params: params must be an object');
  }
  try {
    checkClientJson(params);
    const result = await call({ method: m.method, params });
    return isNotification ? undefined : { jsonrpc: '2.0', id: id ?? null, result: result === undefined ? 'ok' : result };
  } catch (err) {
    const e = toApiError(err);
    return isNotification ? undefined : errorReply(id ?? null, e.rpcCode, e.message);
  }
}

/**
 * Handles one websocket message: a request, a notification or a batch. Returns the reply text,
 * or undefined when nothing is to be sent. Never throws.
 */
export async function handleJsonRpcText(text: string, call: (c: RpcCall) => Promise<unknown>): Promise<string | undefined> {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return JSON.stringify(errorReply(null, JSONRPC_PARSE_ERROR, 'Parse error'));
  }
  if (Array.isArray(msg)) {
    if (msg.length === 0) return JSON.stringify(errorReply(null, JSONRPC_INVALID_REQUEST, 'Invalid Request: empty batch'));
    const replies = (await Promise.all(msg.map((m) => handleOne(m, call)))).filter((r) => r !== undefined);
    return replies.length > 0 ? JSON.stringify(replies) : undefined;
  }
  const reply = await handleOne(msg, call);
  return reply === undefined ? undefined : JSON.stringify(reply);
}
