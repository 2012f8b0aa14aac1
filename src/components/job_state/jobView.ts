// A job as clients see it in notify_job_state_changed: Moonraker's snake_case names.
import type { Job } from '../../machines/printJob.machine.js';

export function jobView(job: Job | null) {
  if (!job) return null;
  return {
    filename: job.filename,
    start_time: job.startTime,
    end_time: job.endTime,
    total_duration: job.totalDuration,
    print_duration: job.printDuration,
    filament_used: job.filamentUsed,
    progress: job.progress,
    message: job.message,
    current_layer: job.currentLayer,
    total_layer: job.totalLayer,
  };
}
