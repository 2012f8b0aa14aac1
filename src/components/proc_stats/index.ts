// Moonraker's proc_stats: this server's CPU and memory use, the host's load and temperature,
// sampled while any client is connected and sent as notify_proc_stat_update.
import { map } from 'rxjs';
import { defineComponent } from '../component.js';
import { rpc } from '../../transport/endpointRegistry.js';
import { ProcStats } from './procStats.js';
import { NOTIFY } from '../../shared/notifications.js';

export const procStats = defineComponent({
  name: 'proc_stats',
  create(k) {
    const stats = new ProcStats(k.connections);
    return {
      api: stats,
      endpoints: [
        rpc({
          method: 'machine.proc_stats',
          description: "This server's CPU and memory over the last 30 s, and the host's load",
          http: { verbs: ['GET'], path: '/machine/proc_stats' },
          params: {},
          handler: () => stats.report(),
        }),
      ],
      notifications: stats.updates$.pipe(map((update) => ({ method: NOTIFY.procStatUpdate, params: [update] }))),
      start: () => stats.start(),
      stop: () => stats.stop(),
    };
  },
});
