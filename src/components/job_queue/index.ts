// Moonraker's job_queue: files printed one after another, its state kept in the database and
// decided by the job queue machine (src/machines/jobQueue.machine.ts).
import { map } from 'rxjs';
import { defineComponent } from '../component.js';
import { JobQueue } from './jobQueue.actor.js';
import { jobQueueEndpoints } from './jobQueueEndpoints.js';
import { jobState } from '../job_state/index.js';
import { fileManager } from '../file_manager/index.js';
import { NOTIFY } from '../../shared/notifications.js';

export const jobQueue = defineComponent({
  name: 'job_queue',
  create(k) {
    const { printJob, printControl } = k.lookup(jobState);
    const files = k.lookup(fileManager);
    const queue = new JobQueue({
      database: k.database,
      klippy: k.klippy,
      printJob,
      printControl,
      resolve: (filename) => files.resolveGcode(filename),
      settings: k.config.job_queue,
      inspect: k.inspection.inspector('jobQueue'),
    });
    return {
      api: queue,
      endpoints: jobQueueEndpoints(queue),
      notifications: queue.changes$.pipe(map((change) => ({ method: NOTIFY.jobQueueChanged, params: [change] }))),
      start: () => queue.start(),
      stop: () => queue.stop(),
    };
  },
});
