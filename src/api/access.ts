// The access namespace of the spec: read or replace the API key, and ask for a oneshot token
// (for requests that cannot send headers: downloads, uploads, the websocket). HTTP only, as
// in the spec, and like every endpoint they need credentials themselves.
import { rpc, type Endpoint } from '../transport/endpointRegistry.js';
import type { ApiKeyStore } from '../auth/apiKeyFile.js';
import type { OneshotTokens } from '../actors/oneshotTokens.actor.js';

export interface AccessServices {
  apiKeys: ApiKeyStore;
  tokens: OneshotTokens;
}

export function accessEndpoints({ apiKeys, tokens }: AccessServices): Endpoint[] {
  return [
    rpc({
      method: 'access.get_api_key',
      description: 'The current API key',
      http: { verbs: ['GET'], path: '/access/api_key' },
      websocket: false,
      params: {},
      handler: () => apiKeys.current,
    }),
    rpc({
      method: 'access.post_api_key',
      description: 'Replace the API key; the old one stops working at once',
      http: { verbs: ['POST'], path: '/access/api_key' },
      websocket: false,
      params: {},
      handler: () => apiKeys.rotate(),
    }),
    rpc({
      method: 'access.oneshot_token',
      description: 'A token for one request from this address within 5 s (?token=...)',
      http: { verbs: ['GET'], path: '/access/oneshot_token' },
      websocket: false,
      params: {},
      handler: (_params, ctx) => tokens.issue(ctx.clientAddress),
    }),
  ];
}
