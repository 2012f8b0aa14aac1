// The machine namespace: the host computer itself — what it is, how loaded it is, its serial
// devices, and its power (shutdown, reboot; the reply goes out before the command runs, since
// the command may take this server down with it).
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import { runHostCommand } from './hostCommand.js';
import { readSystemInfo } from './systemInfo.js';
import { listSerialDevices } from './serialPorts.js';

/** Long enough for the reply to leave the socket before the host starts going down. */
const REPLY_GRACE_MS = 200;

export function machineEndpoints(commands: { shutdown_command: string; reboot_command: string }): Endpoint[] {
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
      handler: () => later(commands.shutdown_command),
    }),
    rpc({
      method: 'machine.reboot',
      description: 'Reboot the host computer',
      http: { verbs: ['POST'], path: '/machine/reboot' },
      params: {},
      handler: () => later(commands.reboot_command),
    }),
    rpc({
      method: 'machine.system_info',
      description: 'The host: CPU, memory, distribution, network, virtualization',
      http: { verbs: ['GET'], path: '/machine/system_info' },
      params: {},
      handler: async () => ({ system_info: await readSystemInfo() }),
    }),
    rpc({
      method: 'machine.peripherals.serial',
      description: 'Serial devices of the host (USB adapters, UARTs)',
      http: { verbs: ['GET'], path: '/machine/peripherals/serial' },
      params: {},
      handler: async () => ({ serial_devices: await listSerialDevices() }),
    }),
  ];
}
