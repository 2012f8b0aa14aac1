// Moonraker's machine: the host computer beside the printer (not src/machines/, the state
// charts). What it is (system_info), its serial devices, and shutting it down or rebooting it.
import { defineComponent } from '../component.js';
import { machineEndpoints } from './hostEndpoints.js';

export const machine = defineComponent({
  name: 'machine',
  create: (k) => ({ endpoints: machineEndpoints(k) }),
});
