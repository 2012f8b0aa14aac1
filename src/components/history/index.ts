// Moonraker's history: one entry per print job and running totals, kept in the database and
// fed by the print job machine's announcements (src/components/job_state).
import { map } from 'rxjs';
import { defineComponent } from '../component.js';
import { PrintHistory } from './printHistory.js';
import { historyEndpoints } from './historyEndpoints.js';
import { jobState } from '../job_state/index.js';
import { fileManager } from '../file_manager/index.js';
import { NOTIFY } from '../../shared/notifications.js';

export const history = defineComponent({
  name: 'history',
  create(k) {
    const { printJob } = k.lookup(jobState);
    const files = k.lookup(fileManager);
    const printHistory = new PrintHistory({
      database: k.database,
      jobEvents: printJob.events$,
      gcodesPath: () => files.roots.pathOf('gcodes'),
      metadata: (f) => files.jobMetadata(f),
      jobRecorded: (f, start, id) => files.jobRecorded(f, start, id),
    });
    return {
      api: printHistory,
      endpoints: historyEndpoints(printHistory),
      notifications: printHistory.changes$.pipe(map((change) => ({ method: NOTIFY.historyChanged, params: [change] }))),
      start: () => printHistory.start(),
      stop: () => printHistory.stop(),
    };
  },
});
