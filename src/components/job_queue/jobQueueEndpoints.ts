// The job_queue namespace (Moonraker's `job_queue` component): queue gcode files, remove them,
// pause, start, and move one to the front. Every reply is the queue's status.
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import { invalidParams } from '../../shared/errors.js';
import type { JobQueue } from './jobQueue.actor.js';

/** A list argument: a JSON array of strings, or (in a query string) comma-separated names. */
function stringList(name: string, value: unknown): string[] {
  if (typeof value === 'string') return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw invalidParams(`Invalid argument type for "${name}": expected a list of strings`);
}

export function jobQueueEndpoints(jobQueue: JobQueue): Endpoint[] {
  return [
    rpc({
      method: 'server.job_queue.status',
      description: 'The queued jobs and the queue state (ready, loading, starting, paused)',
      http: { verbs: ['GET'], path: '/server/job_queue/status' },
      params: {},
      handler: () => jobQueue.status(),
    }),
    rpc({
      method: 'server.job_queue.post_job',
      description: 'Queues files from the gcodes root (all must exist); reset=true empties the queue first',
      http: { verbs: ['POST'], path: '/server/job_queue/job' },
      params: { filenames: param.any({ required: true }), reset: param.boolean({ default: false }) },
      handler: ({ filenames, reset }) => jobQueue.postJobs(stringList('filenames', filenames), reset),
    }),
    rpc({
      method: 'server.job_queue.delete_job',
      description: 'Removes queued jobs by job_ids (unknown ids are ignored), or all=true',
      http: { verbs: ['DELETE'], path: '/server/job_queue/job' },
      params: { job_ids: param.any(), all: param.boolean({ default: false }) },
      handler: ({ job_ids, all }) => {
        if (all) return jobQueue.deleteAll();
        if (job_ids === undefined || job_ids === null) throw invalidParams('Missing argument "job_ids"');
        return jobQueue.deleteJobs(stringList('job_ids', job_ids));
      },
    }),
    rpc({
      method: 'server.job_queue.pause',
      description: 'Pauses the queue: no job is loaded until it is started again',
      http: { verbs: ['POST'], path: '/server/job_queue/pause' },
      params: {},
      handler: () => jobQueue.pause(),
    }),
    rpc({
      method: 'server.job_queue.start',
      description: 'Starts the queue: loads the next job now if the printer is free, else after the current print',
      http: { verbs: ['POST'], path: '/server/job_queue/start' },
      params: {},
      handler: () => jobQueue.startQueue(),
    }),
    rpc({
      method: 'server.job_queue.jump',
      description: 'Moves a queued job to the front of the queue',
      http: { verbs: ['POST'], path: '/server/job_queue/jump' },
      params: { job_id: param.string({ required: true }) },
      handler: ({ job_id }) => jobQueue.jump(job_id),
    }),
  ];
}
