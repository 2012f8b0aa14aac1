// Moonraker's data_store: the last minutes of every temperature sensor (sampled once a second)
// and the recent console (gcode commands and Klippy's responses), for UIs that open mid-print.
import { defineComponent } from '../component.js';
import { opt } from '../../config/options.js';
import { rpc } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import { TemperatureStore } from './temperatureStore.js';
import { GcodeStore } from './gcodeStore.js';

export const dataStore = defineComponent({
  name: 'data_store',
  sections: {
    data_store: {
      /** Samples kept per sensor by server.temperature_store (one a second: 1200 = 20 minutes). */
      temperature_store_size: opt.int(1200, 1, 86400),
      /** Lines kept by server.gcode_store. */
      gcode_store_size: opt.int(1000, 1, 100000),
    },
  },
  create(k, options) {
    const settings = options.data_store;
    const temperatures = new TemperatureStore(k.klippy, k.subscriptions, { size: settings.temperature_store_size });
    const gcodeStore = new GcodeStore(k.klippy, settings.gcode_store_size);
    return {
      api: { temperatures, gcodeStore },
      endpoints: [
        rpc({
          method: 'server.temperature_store',
          description: 'The last temperature_store_size samples (1 Hz) of every sensor, oldest first',
          http: { verbs: ['GET'], path: '/server/temperature_store' },
          params: { include_monitors: param.boolean({ default: false }) },
          handler: ({ include_monitors }) => temperatures.snapshot(include_monitors),
        }),
        rpc({
          method: 'server.gcode_store',
          description: 'Recent gcode commands and responses, oldest first',
          http: { verbs: ['GET'], path: '/server/gcode_store' },
          params: { count: param.integer({ check: (n) => (n >= 0 ? undefined : 'must not be negative') }) },
          handler: ({ count }) => ({ gcode_store: gcodeStore.entries(count) }),
        }),
      ],
      start: () => temperatures.start(),
      stop: () => {
        temperatures.stop();
        gcodeStore.stop();
      },
    };
  },
});
