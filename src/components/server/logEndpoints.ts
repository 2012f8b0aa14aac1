// server.logs.rollover: starts a new server log on request, as Moonraker's log manager does.
// Moonraker rolls Klipper's log over by stopping and starting Klipper's systemd service; moonstate
// manages no service, so that part fails with Moonraker's own reason.
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import { badRequest } from '../../shared/errors.js';
import { logSink } from '../../logger.js';

const APPLICATIONS = ['moonraker', 'klipper'];

export function logEndpoints(): Endpoint[] {
  return [
    rpc({
      method: 'server.logs.rollover',
      description: "Starts a new log file (moonraker: the server's own; klipper: not possible here)",
      http: { verbs: ['POST'], path: '/server/logs/rollover' },
      params: { application: param.string() },
      handler: async ({ application }) => {
        if (application !== undefined && !APPLICATIONS.includes(application)) throw badRequest(`Unknown application ${application}`);
        const apps = application === undefined ? APPLICATIONS : [application];
        const result: { rolled_over: string[]; failed: Record<string, string> } = { rolled_over: [], failed: {} };
        if (apps.includes('moonraker')) {
          try {
            await logSink.rollover();
            result.rolled_over.push('moonraker');
          } catch (err) {
            result.failed.moonraker = (err as Error).message.replace(/\/\S*/g, '<path>');
          }
        }
        if (apps.includes('klipper')) result.failed.klipper = 'Unable to detect Klipper Service, cannot perform manual rollover';
        return result;
      },
    }),
  ];
}
