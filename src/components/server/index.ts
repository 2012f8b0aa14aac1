// The server itself (Moonraker's core, not a component it lists): server.info, server.config,
// the websocket handshake, restart, and the log rollover.
import { defineComponent } from '../component.js';
import { serverEndpoints } from './serverEndpoints.js';
import { logEndpoints } from './logEndpoints.js';
import { fileManager } from '../file_manager/index.js';

export const server = defineComponent({
  name: 'server',
  unlisted: true,
  create(k) {
    const files = k.lookup(fileManager);
    return { endpoints: [...serverEndpoints(k, () => files.roots.available().map((r) => r.name)), ...logEndpoints()] };
  },
});
