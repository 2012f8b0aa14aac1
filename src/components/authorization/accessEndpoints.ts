// The access namespace: the API key, oneshot tokens (for requests that cannot send headers:
// downloads, uploads, the websocket), who the caller is, and how this server authenticates.
// Today's Moonraker serves all of them over HTTP and the websocket alike (Fluidd asks for a
// oneshot token over its websocket before every upload by an untrusted user); /access/info is
// reachable without credentials, so a client can learn whether it must log in.
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import type { ApiKeyStore } from './apiKeyFile.js';
import type { OneshotTokens } from './oneshotTokens.actor.js';
import type { Authorization } from './authorization.js';
import { CurrentUsers } from './currentUser.js';

export interface AccessServices {
  apiKeys: ApiKeyStore;
  tokens: OneshotTokens;
  authorization: Authorization;
}

const nowSeconds = () => Date.now() / 1000;

export function accessEndpoints({ apiKeys, tokens, authorization }: AccessServices): Endpoint[] {
  const { enabled, trustedClients } = authorization.opts;
  // With authorization off every caller is let in as a trusted one would be.
  const users = new CurrentUsers((address) => !enabled || trustedClients.contains(address), nowSeconds());
  return [
    rpc({
      method: 'access.get_api_key',
      description: 'The current API key',
      http: { verbs: ['GET'], path: '/access/api_key' },
      params: {},
      handler: () => apiKeys.current,
    }),
    rpc({
      method: 'access.post_api_key',
      description: 'Replace the API key; the old one stops working at once',
      http: { verbs: ['POST'], path: '/access/api_key' },
      params: {},
      handler: () => apiKeys.rotate(),
    }),
    rpc({
      method: 'access.oneshot_token',
      description: 'A token for one request from this address within 5 s (?token=...)',
      http: { verbs: ['GET'], path: '/access/oneshot_token' },
      params: {},
      handler: (_params, ctx) => tokens.issue(ctx.clientAddress),
    }),
    rpc({
      method: 'access.get_user',
      description: 'The user this request runs as (the trusted user or the API-key user)',
      http: { verbs: ['GET'], path: '/access/user' },
      params: {},
      // A unix socket client has no user (Moonraker answers the same): the socket file's permissions let it in.
      handler: (_params, ctx) => (ctx.transport === 'unix' ? { username: null, source: null, created_on: null } : users.of(ctx.clientAddress, nowSeconds())),
    }),
    rpc({
      method: 'access.users.list',
      description: 'Registered users: none, as there are no user accounts yet',
      http: { verbs: ['GET'], path: '/access/users/list' },
      params: {},
      handler: () => ({ users: [] }),
    }),
    rpc({
      method: 'access.info',
      description: 'How this server authenticates, and whether the caller is trusted',
      http: { verbs: ['GET'], path: '/access/info' },
      public: true,
      params: {},
      handler: (_params, ctx) => ({
        default_source: 'moonraker',
        available_sources: ['moonraker'],
        login_required: false,
        trusted: users.trusted(ctx.clientAddress),
      }),
    }),
  ];
}
