// The kernel: what every component may use. It holds the server-wide parts no component owns
// (the config, the Klippy connection and its status subscriptions, the database, the client
// connections, machine inspection, the data folders) and finds the other components a component
// depends on. src/server.ts builds it; components only read it.
import type { MoonstateConfig } from '../config/configSchema.js';
import type { KlippyConnection } from '../actors/klippyConnection.actor.js';
import type { StatusSubscriptions } from '../actors/statusSubscriptions.actor.js';
import type { Database } from '../db/database.js';
import type { ConnectionRegistry } from '../transport/connections.js';
import type { Inspection } from '../actors/inspection.actor.js';
import type { TokenClock } from './authorization/oneshotTokens.actor.js';
import type { AnyComponent, ApiOf } from './component.js';

/** Folders under the data path the server owns. */
export interface DataPaths {
  data: string;
  gcodes: string;
  config: string;
  logs: string;
  database: string;
  comms: string;
}

export interface Kernel {
  readonly config: MoonstateConfig;
  readonly klippy: KlippyConnection;
  readonly subscriptions: StatusSubscriptions;
  readonly database: Database;
  /** Connected websocket and unix-socket clients (counts, per-connection clean-up). */
  readonly connections: ConnectionRegistry;
  /** `inspection.inspector('<machine>')` is the inspect callback for createActor. */
  readonly inspection: Inspection;
  readonly paths: DataPaths;
  /** True when the server runs its own virtual Klippy. */
  readonly embedded: boolean;
  /** The clock time-limited things (oneshot tokens) run on; tests pass a simulated one. */
  readonly clock: TokenClock | undefined;
  /**
   * Stops and starts the whole server again in this process, rereading the config file (what
   * a user does after editing it). Undefined when whoever started us cannot (tests, embedding).
   */
  readonly restart: (() => void) | undefined;
  /** Acknowledge uploads without fsync: unsafe, only for bench:files to measure what fsync costs. */
  readonly unsafeUploadsWithoutFsync: boolean;
  /** The api of a component loaded before the caller (or called later, at run time); throws if it is not loaded. */
  lookup<C extends AnyComponent>(component: C): ApiOf<C>;
  /** The api of a component, or undefined when it is not loaded (optional components). */
  find<C extends AnyComponent>(component: C): ApiOf<C> | undefined;
  /** Which components loaded and which failed, in list order (server.info). */
  components(): { loaded: string[]; failed: string[] };
}
