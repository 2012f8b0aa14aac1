// Moonraker's authorization: the API key, oneshot tokens, trusted clients and browser origins
// (the rules in this folder and src/shared/), and the access.* endpoints. Transport asks its api whether a
// request or websocket upgrade may proceed. Created first of all: a key file that cannot be
// read or written stops the server before anything has started.
import { defineComponent } from '../component.js';
import { opt } from '../../config/options.js';
import { authorizationFromConfig } from './fromConfig.js';
import { accessEndpoints } from './accessEndpoints.js';
import { AUTHORIZATION_OPTIONS } from './authorizationOptions.js';

export const authorization = defineComponent({
  name: 'authorization',
  sections: { authorization: AUTHORIZATION_OPTIONS },
  moonrakerOnly: {
    authorization: {
      force_logins: opt.bool(false),
      default_source: opt.string('moonraker'),
      enable_api_key: opt.bool(true),
      login_timeout: opt.int(90, 1),
      max_login_attempts: opt.optionalString(),
    },
  },
  create(k, options) {
    const parts = authorizationFromConfig(k.config, options.authorization, { tokenClock: k.clock, inspect: k.inspection.inspector('oneshotToken') });
    return {
      api: parts,
      endpoints: accessEndpoints(parts),
      stop: () => parts.tokens.dispose(),
    };
  },
});
