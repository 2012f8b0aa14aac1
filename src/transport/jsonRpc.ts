// JSON-RPC 2.0 framing for the websocket: parse, validate, batch, and shape replies. It knows
// nothing of our endpoints: `call` does the work and throws ServerError for failures.
import { rpcCodeOf, toServerError, JSONRPC_PARSE_ERROR, JSONRPC_INVALID_REQUEST, JSONRPC_INVALID_PARAMS } from './errorCodes.js';
import { checkClientJson } from './clientJson.js';
import { serializeBounded } from './replySize.js';

export type RpcId = string | number | null;

export interface RpcCall {
  method: string;
  params: Record<string, unknown>;
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
    // A handler that returns nothing is answered 'ok' once, in dispatch.ts (invoke), for every transport.
    return isNotification ? undefined : { jsonrpc: '2.0', id: id ?? null, result };
  } catch (err) {
    const e = toServerError(err);
    return isNotification ? undefined : errorReply(id ?? null, rpcCodeOf(e), e.message);
  }
}

/** One reply's text within `budget` characters; a reply over it becomes its own error reply. */
function serializeReply(reply: Reply, budget: number, configuredLimit: number): string {
  try {
    return serializeBounded(reply, budget, configuredLimit);
  } catch (err) {
    const e = toServerError(err);
    return JSON.stringify(errorReply(reply.id, rpcCodeOf(e), e.message));
  }
}

/** How many calls of one batch run at once: enough for parallel Klippy requests, few enough that
 * the results waiting to be serialised stay small. */
const BATCH_CONCURRENCY = 8;

/**
 * A batch's reply text, in request order. Each reply is serialised as soon as its call ends and
 * its result let go, against what is left of the budget, so a batch of 200 reads of a large
 * item holds at most a few results and the budget's worth of text at any time. Every call
 * runs (a call may change state even when its reply does not fit).
 */
async function handleBatch(msgs: unknown[], call: (c: RpcCall) => Promise<unknown>, maxReplyChars: number): Promise<string | undefined> {
  const parts: (string | undefined)[] = new Array<string | undefined>(msgs.length);
  let used = 2;
  let next = 0;
  const worker = async () => {
    while (next < msgs.length) {
      const i = next++;
      const reply = await handleOne(msgs[i], call);
      if (reply === undefined) continue;
      const part = serializeReply(reply, Math.max(0, maxReplyChars - used - 1), maxReplyChars);
      parts[i] = part;
      used += part.length + 1;
      // Handlers that answer synchronously would otherwise run the whole batch in microtasks,
      // and a 4 MiB batch of reads could hold the event loop (every other client) for minutes.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, msgs.length) }, worker));
  const present = parts.filter((p) => p !== undefined);
  return present.length > 0 ? `[${present.join(',')}]` : undefined;
}

/**
 * Handles one websocket message: a request, a notification or a batch. Returns the reply text,
 * or undefined when nothing is to be sent. Never throws. No reply text is longer than
 * `maxReplyChars` (plus the small error replies that stand in for the replies that did not fit):
 * a batch's replies are serialised one by one, and once the budget is spent the rest are
 * answered with 413 errors rather than built.
 */
export async function handleJsonRpcText(
  text: string,
  call: (c: RpcCall) => Promise<unknown>,
  maxReplyChars = Number.MAX_SAFE_INTEGER,
): Promise<string | undefined> {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return JSON.stringify(errorReply(null, JSONRPC_PARSE_ERROR, 'Parse error'));
  }
  if (Array.isArray(msg)) {
    if (msg.length === 0) return JSON.stringify(errorReply(null, JSONRPC_INVALID_REQUEST, 'Invalid Request: empty batch'));
    return handleBatch(msg, call, maxReplyChars);
  }
  const reply = await handleOne(msg, call);
  return reply === undefined ? undefined : serializeReply(reply, maxReplyChars, maxReplyChars);
}
