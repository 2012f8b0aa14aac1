// The history namespace (Moonraker's `history` component): the jobs the print job machine has
// seen start and end, and the running totals. One file, every endpoint of the namespace.
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import { invalidParams } from '../../shared/errors.js';
import type { PrintHistory } from './printHistory.js';

export function historyEndpoints(history: PrintHistory): Endpoint[] {
  return [
    rpc({
      method: 'server.history.list',
      description: 'Jobs, newest first by default: limit (0 = all), start offset, since/before (Unix times), order asc|desc',
      http: { verbs: ['GET'], path: '/server/history/list' },
      params: {
        limit: param.integer({ default: 50 }),
        start: param.integer({ default: 0 }),
        since: param.number(),
        before: param.number(),
        order: param.string({ default: 'desc' }),
      },
      handler: (p) => history.list(p),
    }),
    rpc({
      method: 'server.history.get_job',
      description: 'One job by its job_id',
      http: { verbs: ['GET'], path: '/server/history/job' },
      params: { uid: param.string({ required: true }) },
      handler: ({ uid }) => history.getJob(uid),
    }),
    rpc({
      method: 'server.history.delete_job',
      description: 'Deletes one job (uid) or every job (all=true); returns the deleted ids',
      http: { verbs: ['DELETE'], path: '/server/history/job' },
      params: { uid: param.string(), all: param.boolean({ default: false }) },
      handler: ({ uid, all }) => {
        if (all) return history.deleteAll();
        if (uid === undefined) throw invalidParams('Missing argument "uid"');
        return history.deleteJob(uid);
      },
    }),
    rpc({
      method: 'server.history.totals',
      description: 'Totals over every finished job since the last reset',
      http: { verbs: ['GET'], path: '/server/history/totals' },
      params: {},
      handler: () => history.totals(),
    }),
    rpc({
      method: 'server.history.reset_totals',
      description: 'Sets the totals back to zero (not while a job runs); returns the totals before',
      http: { verbs: ['POST'], path: '/server/history/reset_totals' },
      params: {},
      handler: () => history.resetTotals(),
    }),
  ];
}
