// What endpoint handlers may use. The composition root (src/server.ts) builds one of these;
// each src/api file declares a namespace's endpoints against it.
import type { KlippyConnection } from '../actors/klippyConnection.actor.js';
import type { StatusSubscriptions } from '../actors/statusSubscriptions.actor.js';
import type { ConnectionRegistry } from '../transport/connections.js';
import type { MoonstateConfig } from '../config/configSchema.js';
import type { Database } from '../db/database.js';
import type { PrintJobTracker } from '../actors/printJob.actor.js';
import type { TemperatureStore } from '../actors/temperatureStore.actor.js';
import type { Inspection } from '../actors/inspection.actor.js';

export interface Services {
  config: MoonstateConfig;
  klippy: KlippyConnection;
  subscriptions: StatusSubscriptions;
  connections: ConnectionRegistry;
  database: Database;
  printJob: PrintJobTracker;
  temperatures: TemperatureStore;
  /** Machine inspection; `inspection.inspector('<machine>')` is the inspect callback for createActor. */
  inspection: Inspection;
  /** Folders under the data path the server owns. */
  paths: { data: string; gcodes: string; config: string; logs: string; database: string };
}
