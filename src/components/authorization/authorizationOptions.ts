// The [authorization] section: who may use the API without credentials, the API key file,
// browser origins. Its parsers are shared (src/shared) because transport applies the same rules.
import { opt } from '../../config/options.js';
import type { OptionsOf } from '../component.js';
import { parseTrustedNetwork } from '../../shared/trustedClients.js';
import { parseCorsDomain } from '../../shared/corsPolicy.js';

export const AUTHORIZATION_OPTIONS = {
  enabled: opt.bool(true),
  /** Default: <data path>/.moonstate_api_key (see fromConfig.ts). */
  api_key_file: opt.optionalPath(),
  /** IPs and CIDR networks. Absent (not empty): loopback is trusted in the embedded mode. */
  trusted_clients: opt.optionalListOf(parseTrustedNetwork),
  /** Origins (glob patterns) whose pages may use the API. */
  cors_domains: opt.listOf(parseCorsDomain),
};

export type AuthorizationOptions = OptionsOf<typeof AUTHORIZATION_OPTIONS>;
