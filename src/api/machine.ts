// The machine namespace: the host computer's power (shutdown, reboot). The reply goes out
// before the command runs, since the command may take this server down with it.
import { rpc, type Endpoint } from '../transport/endpointRegistry.js';
import { runHostCommand } from '../actors/hostCommand.actor.js';
import type { Services } from './services.js';

/** Long enough for the reply to leave the socket before the host starts going down. */
const REPLY_GRACE_MS = 200;

export function machineEndpoints(s: Services): Endpoint[] {
  const later = (command: string) => {
    setTimeout(() => runHostCommand(command), REPLY_GRACE_MS).unref();
    return 'ok';
  };
  return [
    rpc({
      method: 'machine.shutdown',
      description: 'Shut the host computer down',
      http: { verbs: ['POST'], path: '/machine/shutdown' },
      params: {},
      handler: () => later(s.config.machine.shutdown_command),
    }),
    rpc({
      method: 'machine.reboot',
      description: 'Reboot the host computer',
      http: { verbs: ['POST'], path: '/machine/reboot' },
      params: {},
      handler: () => later(s.config.machine.reboot_command),
    }),
  ];
}
