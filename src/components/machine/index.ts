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
  moonrakerOnly: {
    machine: {
      provider: opt.string('systemd_dbus'),
      validate_service: opt.bool(true),
      validate_config: opt.bool(true),
      force_validation: opt.bool(false),
      sudo_password: opt.optionalString(),
      supervisord_config_path: opt.optionalString(),
    },
  },
  create: (_k, options) => ({ endpoints: machineEndpoints(options.machine) }),
});
