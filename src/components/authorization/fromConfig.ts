// Builds the authorization parts from the config: the key file, the token store, who is
// trusted and which origins are allowed, including the one rule that depends on how the server
// runs (loopback is trusted in the embedded mode when trusted_clients is not set).
import type { InspectionEvent } from 'xstate';
import { join } from 'node:path';
import type { MoonstateConfig } from '../../config/configSchema.js';
import type { AuthorizationOptions } from './authorizationOptions.js';
import { OneshotTokens, type TokenClock } from './oneshotTokens.actor.js';
import { ApiKeyStore } from './apiKeyFile.js';
import { Authorization } from './authorization.js';
import { CorsPolicy } from '../../shared/corsPolicy.js';
import { ServerNames } from './serverNames.js';
import { LOOPBACK_NETWORKS, TrustedClients, parseTrustedNetwork } from '../../shared/trustedClients.js';
import { getLogger } from '../../logger.js';

const log = getLogger('authorization');

export const DEFAULT_API_KEY_FILE = '.moonstate_api_key';

/**
 * The trusted networks in force. With no klippy_uds_address the server runs its own virtual
 * printer (the `npm start` case): then, unless trusted_clients is set (even to nothing), a
 * browser on this machine needs no key. Everywhere else loopback is trusted only if listed.
 */
export function effectiveTrustedClients(
  options: Pick<AuthorizationOptions, 'trusted_clients'>,
  server: Pick<MoonstateConfig['server'], 'klippy_uds_address'>,
): {
  trusted: TrustedClients;
  loopbackByDefault: boolean;
} {
  const configured = options.trusted_clients;
  if (configured !== undefined) return { trusted: new TrustedClients(configured), loopbackByDefault: false };
  if (server.klippy_uds_address === undefined) {
    return { trusted: new TrustedClients(LOOPBACK_NETWORKS.map(parseTrustedNetwork)), loopbackByDefault: true };
  }
  return { trusted: new TrustedClients([]), loopbackByDefault: false };
}

export interface AuthorizationParts {
  authorization: Authorization;
  apiKeys: ApiKeyStore;
  tokens: OneshotTokens;
}

export function authorizationFromConfig(
  config: MoonstateConfig,
  a: AuthorizationOptions,
  opts: { tokenClock?: TokenClock | undefined; inspect?: ((ev: InspectionEvent) => void) | undefined } = {},
): AuthorizationParts {
  const apiKeys = ApiKeyStore.openSync(a.api_key_file ?? join(config.dataPath, DEFAULT_API_KEY_FILE));
  const tokens = new OneshotTokens({ ...(opts.tokenClock ? { clock: opts.tokenClock } : {}), ...(opts.inspect ? { inspect: opts.inspect } : {}) });
  const { trusted, loopbackByDefault } = effectiveTrustedClients(a, config.server);
  const cors = new CorsPolicy(a.cors_domains, config.server.enable_cors);
  if (a.enabled) {
    log.info(
      `authorization on: API key in ${apiKeys.path}; trusted clients: ${trusted}` +
        (loopbackByDefault ? ' (loopback, embedded virtual printer)' : '') +
        `; CORS: ${cors.describe()}`,
    );
  } else {
    log.warn(`authorization is disabled: anyone who reaches this server can use it; CORS: ${cors.describe()}`);
  }
  // The listen address counts as a name when it is one (a wildcard address is not a name).
  const serverNames = new ServerNames([config.server.host]);
  const authorization = new Authorization({ enabled: a.enabled, trustedClients: trusted, cors, apiKeys, tokens, serverNames });
  return { authorization, apiKeys, tokens };
}
