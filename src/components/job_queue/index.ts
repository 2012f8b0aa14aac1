// Moonraker's job_queue: files printed one after another, its state kept in the database and
// decided by the job queue machine (src/machines/jobQueue.machine.ts).
import { map } from 'rxjs';
import { defineComponent } from '../component.js';
import { opt } from '../../config/options.js';
import { JobQueue } from './jobQueue.actor.js';
import { jobQueueEndpoints } from './jobQueueEndpoints.js';
import { jobState } from '../job_state/index.js';
import { fileManager } from '../file_manager/index.js';
import { NOTIFY } from '../../shared/notifications.js';

export const jobQueue = defineComponent({
  name: 'job_queue',
  sections: {
    job_queue: {
      /** Load the next queued job whenever Klippy becomes ready, resuming a paused queue. */
      load_on_startup: opt.bool(false),
      /** Load the next job when a print completes; when false the queue pauses after each load. */
      automatic_transition: opt.bool(false),
      /** Seconds to wait after a print completes before loading the next job. */
      job_transition_delay: opt.float(0.01, 0, 86400, { exclusiveMin: true }),
      /** Gcode run between two jobs, after the delay (not on a start or at startup). */
      job_transition_gcode: opt.string(''),
    },
  },
  create(k, options) {
    const { printJob, printControl } = k.lookup(jobState);
    const files = k.lookup(fileManager);
    const queue = new JobQueue({
      database: k.database,
      klippy: k.klippy,
      printJob,
      printControl,
      resolve: (filename) => files.resolveGcode(filename),
      settings: options.job_queue,
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
