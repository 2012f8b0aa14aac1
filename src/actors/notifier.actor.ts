// Fan-out of server-wide events to every websocket client as JSON-RPC notifications.
// Each source is an RxJS stream; the notifications' names are in shared/notifications.ts.
import { pairwise, startWith, type Subscription } from 'rxjs';
import type { KlippyConnection } from './klippyConnection.actor.js';
import type { PrintJobTracker } from '../components/job_state/printJob.actor.js';
import type { ConnectionRegistry } from '../transport/connections.js';
import type { Job } from '../machines/printJob.machine.js';
import type { PrintHistory } from '../components/history/printHistory.js';
import type { JobQueue } from '../components/job_queue/jobQueue.actor.js';
import type { Dialect } from '../shared/dialect.js';
import { notificationText } from '../transport/wsConnection.js';
import type { FileManager } from '../fs/fileManager.js';
import { filelistChangedParams, metadataReply } from '../fs/fileShapes.js';
import { NOTIFY, type NotificationMethod } from '../shared/notifications.js';

const KLIPPY_NOTIFICATIONS = {
  'klippy.ready': NOTIFY.klippyReady,
  'klippy.shutdown': NOTIFY.klippyShutdown,
  'klippy.disconnected': NOTIFY.klippyDisconnected,
} as const;

/** A job as clients see it: Moonraker's snake_case names. */
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

export interface NotifierSources {
  klippy: KlippyConnection;
  printJob: PrintJobTracker;
  connections: ConnectionRegistry;
  history?: PrintHistory;
  jobQueue?: JobQueue;
}

export function startNotifier({ klippy, printJob, connections, history, jobQueue }: NotifierSources): Subscription {
  const subs = klippy.events$.subscribe((ev) => connections.broadcast(KLIPPY_NOTIFICATIONS[ev.type]));
  subs.add(klippy.gcode$.subscribe((line) => connections.broadcast(NOTIFY.gcodeResponse, [line])));
  // A moonstate extension: the print job machine's transitions, for UIs that want them exact
  // rather than inferred from print_stats diffs. Clients that do not know it ignore it.
  subs.add(
    printJob.state$.pipe(startWith(printJob.state), pairwise()).subscribe(([previous, state]) => {
      if (previous === state) return;
      connections.broadcast(NOTIFY.jobStateChanged, [{ state, previous_state: previous, job: jobView(printJob.job) }]);
    }),
  );
  if (history) subs.add(history.changes$.subscribe((change) => connections.broadcast(NOTIFY.historyChanged, [change])));
  if (jobQueue) subs.add(jobQueue.changes$.subscribe((change) => connections.broadcast(NOTIFY.jobQueueChanged, [change])));
  return subs;
}

/**
 * notify_filelist_changed and notify_metadata_update, shaped once per dialect in use and sent
 * to every websocket right after the change.
 */
export function startFileNotifier(files: FileManager, connections: ConnectionRegistry): Subscription {
  // A shape of undefined: that dialect is not told about this change.
  const shapedBroadcast = (method: NotificationMethod, shape: (d: Dialect) => unknown) => {
    const texts = new Map<Dialect, string | null>();
    for (const c of connections.all()) {
      let text = texts.get(c.dialect);
      if (text === undefined) {
        const params = shape(c.dialect);
        text = params === undefined ? null : (notificationText(method, [params]) ?? null);
        texts.set(c.dialect, text);
      }
      if (text !== null) c.send(text);
    }
  };
  const subs = files.changes$.subscribe((change) => shapedBroadcast(NOTIFY.filelistChanged, (d) => filelistChangedParams(change, d)));
  subs.add(
    files.metadata$.subscribe(({ filename, metadata }) => shapedBroadcast(NOTIFY.metadataUpdate, (d) => metadataReply(filename, metadata, d))),
  );
  return subs;
}
