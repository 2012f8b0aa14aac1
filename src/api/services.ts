// What endpoint handlers may use. The composition root (src/server.ts) builds one of these;
// each src/api file declares a namespace's endpoints against it.
import type { KlippyConnection } from '../actors/klippyConnection.actor.js';
import type { StatusSubscriptions } from '../actors/statusSubscriptions.actor.js';
import type { ConnectionRegistry } from '../transport/connections.js';
import type { MoonstateConfig } from '../config/configSchema.js';
import type { Database } from '../db/database.js';
import type { FileManager } from '../fs/fileManager.js';

export interface Services {
  config: MoonstateConfig;
  klippy: KlippyConnection;
  subscriptions: StatusSubscriptions;
  connections: ConnectionRegistry;
  database: Database;
  /** Roots, file operations, watchers and gcode metadata (src/fs). */
  files: FileManager;
  /** Folders under the data path the server owns. */
  paths: { data: string; gcodes: string; config: string; logs: string; database: string };
}
