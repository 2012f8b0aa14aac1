// Moonraker's authorization: the API key, oneshot tokens, trusted clients and browser origins
// (the rules in this folder and src/shared/), and the access.* endpoints. Transport asks its api whether a
// request or websocket upgrade may proceed. Created first of all: a key file that cannot be
// read or written stops the server before anything has started.
import { defineComponent } from '../component.js';
import { authorizationFromConfig } from './fromConfig.js';
import { accessEndpoints } from './accessEndpoints.js';
import { AUTHORIZATION_OPTIONS } from './authorizationOptions.js';

export const authorization = defineComponent({
  name: 'authorization',
  sections: { authorization: AUTHORIZATION_OPTIONS },
  create(k, options) {
    const parts = authorizationFromConfig(k.config, options.authorization, { tokenClock: k.clock, inspect: k.inspection.inspector('oneshotToken') });
    return {
      api: parts,
      endpoints: accessEndpoints(parts),
      stop: () => parts.tokens.dispose(),
    };
  },
});
