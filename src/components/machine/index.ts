// Moonraker's machine: the host computer beside the printer (not src/machines/, the state
// charts). What it is (system_info), its serial devices, and shutting it down or rebooting it.
import { defineComponent } from '../component.js';
import { opt } from '../../config/options.js';
import { machineEndpoints } from './hostEndpoints.js';

export const machine = defineComponent({
  name: 'machine',
  sections: {
    machine: {
      /** Run by machine.shutdown, after the reply is sent. */
      shutdown_command: opt.string('sudo shutdown now'),
      /** Run by machine.reboot, after the reply is sent. */
      reboot_command: opt.string('sudo shutdown -r now'),
    },
  },
  create: (_k, options) => ({ endpoints: machineEndpoints(options.machine) }),
});
