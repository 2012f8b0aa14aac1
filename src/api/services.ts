// What endpoint handlers may use. The composition root (src/server.ts) builds one of these;
// each src/api file declares a namespace's endpoints against it.
import type { KlippyConnection } from '../actors/klippyConnection.actor.js';
import type { StatusSubscriptions } from '../actors/statusSubscriptions.actor.js';
import type { ConnectionRegistry } from '../transport/connections.js';
import type { MoonstateConfig } from '../config/configSchema.js';
import type { Database } from '../db/database.js';
import type { PrintJobTracker } from '../components/job_state/printJob.actor.js';
import type { TemperatureStore } from '../components/data_store/temperatureStore.js';
import type { PrintControl } from '../components/job_state/printControl.js';
import type { GcodeStore } from '../components/data_store/gcodeStore.js';
import type { ProcStats } from '../components/proc_stats/procStats.js';
import type { PrintHistory } from '../components/history/printHistory.js';
import type { JobQueue } from '../components/job_queue/jobQueue.actor.js';
import type { FileManager } from '../fs/fileManager.js';
import type { Inspection } from '../actors/inspection.actor.js';

export interface Services {
  config: MoonstateConfig;
  klippy: KlippyConnection;
  subscriptions: StatusSubscriptions;
  connections: ConnectionRegistry;
  database: Database;
  printJob: PrintJobTracker;
  printControl: PrintControl;
  temperatures: TemperatureStore;
  gcodeStore: GcodeStore;
  procStats: ProcStats;
  /** The file roots clients may browse (server.info's registered_directories). */
  registeredDirectories(): string[];
  /** Print history and totals (server.history.*, Moonraker's `history` component). */
  history: PrintHistory;
  /** The job queue (server.job_queue.*, Moonraker's `job_queue` component). */
  jobQueue: JobQueue;
  /** Roots, file operations, watchers and gcode metadata (src/fs). */
  files: FileManager;
  /** Machine inspection; `inspection.inspector('<machine>')` is the inspect callback for createActor. */
  inspection: Inspection;
  /**
   * Stops and starts the whole server again in this process, rereading the config file (what
   * a user does after editing it). Undefined when whoever started us cannot (tests, embedding).
   */
  restart: (() => void) | undefined;
  /** Folders under the data path the server owns. */
  paths: { data: string; gcodes: string; config: string; logs: string; database: string };
}
