// The composition root: builds every actor and the transports from the config, starts them,
// and stops them in reverse order. Reading this file shows how the parts connect.
import { createServer, type Server } from 'node:http';
import { answerClientErrors } from './transport/rawHttpError.js';
import { timeOutIdleBodies } from './transport/bodyTimeout.js';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { config as rxjsConfig, type Subscription } from 'rxjs';
import type { MoonstateConfig } from './config/configSchema.js';
import { KlippyConnection } from './actors/klippyConnection.actor.js';
import { StatusSubscriptions } from './actors/statusSubscriptions.actor.js';
import { VirtualKlippyProcess, makePrivateDir } from './actors/virtualKlippyProcess.js';
import { ConnectionRegistry } from './transport/connections.js';
import { EndpointRegistry } from './transport/endpointRegistry.js';
import { createHttpApp } from './transport/httpServer.js';
import { attachWebsocket } from './transport/websocketServer.js';
import { httpAuthorization, upgradeAuthorization } from './transport/httpAuthorization.js';
import { startUnixSocket } from './transport/unixSocketServer.js';
import { httpJsonRpc } from './transport/httpJsonRpc.js';
import { webClient } from './transport/webClient.js';
import type { TokenClock } from './components/authorization/oneshotTokens.actor.js';
import { HISTORY_NAMESPACE, TOTALS_KEY, TOTALS_NAMESPACE } from './components/history/printHistory.js';
import { importMoonrakerDatabase } from './db/moonrakerImport.js';
import { Database } from './db/database.js';
import { Inspection } from './actors/inspection.actor.js';
import { createInspectSocket, INSPECT_PATH } from './transport/inspectSocket.js';
import { inspectorPage } from './transport/inspectorPage.js';
import { MACHINES } from './machines/index.js';
import { ComponentHost } from './components/componentHost.js';
import type { Kernel } from './components/kernel.js';
import type { AnyComponent } from './components/component.js';
import { COMPONENTS, COMPONENT_OPTIONS } from './components/index.js';
import { loadConfig, type ConfigSources, type LoadedConfig } from './config/loadConfig.js';
import { authorization as authorizationComponent } from './components/authorization/index.js';
import { getLogger, logSink } from './logger.js';
import { MOONSTATE_VERSION } from './version.js';

const log = getLogger('server');

/**
 * Our own store, in a folder of its own: {data_path}/database holds Moonraker's database
 * (moonraker-sql.db, or data.mdb in the older LMDB layout, the very file name our LMDB store
 * would use), which we must never write to.
 */
export const moonstateDatabasePath = (dataPath: string): string => join(dataPath, 'database', 'moonstate');

/** The config for this server: the file (or text) read with every component's section known. */
export function loadServerConfig(sources: ConfigSources): LoadedConfig {
  return loadConfig({ ...sources, componentOptions: COMPONENT_OPTIONS });
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:7125 */
  url: string;
  port: number;
  /** What every component was given, and the components themselves (kernel.lookup). */
  kernel: Kernel;
  registry: EndpointRegistry;
  /** The embedded virtual Klippy, when the config chose it (config.klippy). */
  virtualKlippy: VirtualKlippyProcess | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  config: MoonstateConfig;
  /** Write the server log to a file (default true; tests may turn it off). */
  logToFile?: boolean;
  /** The log file (Moonraker's -l); default {data_path}/logs/moonraker.log. */
  logFile?: string;
  /** The clock oneshot tokens expire on (tests pass xstate's SimulatedClock). */
  tokenClock?: TokenClock;
  /** Use this inspection hub (the scenario runner records from it before anything starts). */
  inspection?: Inspection;
  /** Called (once the reply is out) when a client asks for server.restart; without it there is no such endpoint. */
  onRestart?: () => void;
  /** Moonraker's unix socket (default {data_path}/comms/moonraker.sock); false: none. */
  unixSocketPath?: string | false;
  /** How long a Klippy request that runs no gcode may go unanswered (tests shorten it). */
  klippyRequestTimeoutMs?: number;
  /** How long a request body may send nothing before it is ended (tests shorten it). */
  bodyIdleTimeoutMs?: number;
  /** Acknowledge uploads without fsync: unsafe, only for bench:files to measure what fsync costs. */
  unsafeUploadsWithoutFsync?: boolean;
  /** The components to load, in order (default: src/components/index.ts); an embedder may add its own. */
  components?: readonly AnyComponent[];
}

export async function startServer({ config, logToFile = true, tokenClock, ...opts }: StartOptions): Promise<RunningServer> {
  // Moonraker's data folder layout, created as Moonraker creates it.
  const dirs = {
    gcodes: join(config.dataPath, 'gcodes'),
    config: join(config.dataPath, 'config'),
    logs: join(config.dataPath, 'logs'),
    database: moonstateDatabasePath(config.dataPath),
    comms: join(config.dataPath, 'comms'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  logSink.header = [
    `moonstate ${MOONSTATE_VERSION}`,
    `data_path: ${config.dataPath}`,
    `config_file: ${config.configFile ?? '(none)'}`,
    `klippy: ${config.klippy.virtual ? 'the virtual Klippy' : config.server.klippy_uds_address}`,
  ];
  // The log Moonraker writes, where clients and users look for it (served as moonraker.log).
  if (logToFile) logSink.attachFile(opts.logFile ?? join(dirs.logs, 'moonraker.log'));
  if (config.server.enable_debug_logging) logSink.level = 'debug';
  log.info(`moonstate ${MOONSTATE_VERSION} starting; data in ${config.dataPath}`);
  log.info(config.configFile ? `config: ${config.configFiles.map((f) => f.path).join(', ') || config.configFile}` : 'no config file: running on defaults');
  log.info(
    config.klippy.virtual
      ? `Klippy: the built-in virtual Klippy, because ${config.klippy.reason}`
      : `Klippy: waiting for Klippy at ${config.server.klippy_uds_address} (${config.klippy.reason})`,
  );
  // RxJS rethrows an error from a subscriber on a timer, where nothing can catch it and the
  // process dies. A subscriber that throws (a consumer of Klippy's stream meeting a value it did
  // not expect, say) is a bug to log, never a reason for every client to lose the server.
  rxjsConfig.onUnhandledError = (err: unknown) => log.error(`a stream subscriber failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  const inspection =
    opts.inspection ?? new Inspection({ enabled: config.server.enable_inspection, machines: MACHINES.map((m) => m.id) });
  let virtualKlippy: VirtualKlippyProcess | undefined;
  let privateDir: string | undefined;
  let socketPath = config.server.klippy_uds_address;
  if (config.klippy.virtual || socketPath === undefined) {
    privateDir = makePrivateDir();
    socketPath = join(privateDir, 'klippy.sock');
    virtualKlippy = new VirtualKlippyProcess({
      socketPath,
      gcodesPath: dirs.gcodes,
      logFile: join(dirs.logs, 'klippy.log'),
      configFile: join(dirs.config, 'printer.cfg'),
      timeScale: config.virtual_klippy.time_scale,
      startupDelaySeconds: config.virtual_klippy.startup_delay,
      privateDir,
    });
    virtualKlippy.start();
  }

  const klippy = new KlippyConnection({
    socketPath,
    clientInfo: { program: 'Moonraker', version: MOONSTATE_VERSION },
    inspect: inspection.inspector('klippyConnection'),
    gcodeTimeoutMs: config.server.klippy_gcode_timeout * 1000,
    ...(opts.klippyRequestTimeoutMs !== undefined ? { requestTimeoutMs: opts.klippyRequestTimeoutMs } : {}),
  });
  const subscriptions = new StatusSubscriptions(klippy, { inspect: inspection.inspector('statusSubscription') });
  const connections = new ConnectionRegistry(config.server.max_websocket_backlog_total * 1024);
  const database = new Database(dirs.database);
  config.warnings.push(...database.startupWarnings);
  // A Moonraker user's settings and history, on the first start on their printer_data.
  importMoonrakerDatabase(database, join(config.dataPath, 'database'), {
    historyNamespace: HISTORY_NAMESPACE,
    totalsNamespace: TOTALS_NAMESPACE,
    totalsKey: TOTALS_KEY,
  });

  // Every component the config asks for, created in list order (src/components/index.ts).
  const components = new ComponentHost({
    config,
    klippy,
    subscriptions,
    database,
    connections,
    inspection,
    paths: { data: config.dataPath, ...dirs },
    embedded: virtualKlippy !== undefined,
    clock: tokenClock,
    restart: opts.onRestart,
    unsafeUploadsWithoutFsync: opts.unsafeUploadsWithoutFsync === true,
  });
  const kernel = components.kernel;
  /** Stops the components and lets go of what the kernel holds: by close(), and by a start that failed. */
  const release = async () => {
    await components.stop();
    subscriptions.dispose();
    klippy.stop();
    await virtualKlippy?.stop();
    await database.close();
    if (!opts.inspection) inspection.close();
    if (privateDir) rmSync(privateDir, { recursive: true, force: true });
  };
  try {
    components.load(opts.components ?? COMPONENTS);
    await components.start();
  } catch (err) {
    // A core component that cannot start stops the server, as in Moonraker; what did start stops.
    await release();
    throw err;
  }
  const auth = kernel.lookup(authorizationComponent);

  const registry: EndpointRegistry = new EndpointRegistry().add(...components.endpoints()).setFallback((method) => components.fallback(method));
  const subs: Subscription[] = [
    components.notifications().subscribe((n) => {
      if ('paramsFor' in n) connections.broadcastShaped(n.method, n.paramsFor);
      else connections.broadcast(n.method, n.params);
    }),
  ];

  const app = createHttpApp({
    registry,
    connections,
    dialect: config.server.api_dialect,
    maxBodyBytes: config.server.max_http_body_size * 1024,
    maxReplyChars: config.server.max_reply_size * 1024,
    before: [...(config.server.web_path ? [webClient(config.server.web_path)] : []), ...httpAuthorization(registry, auth.authorization)],
    after: [
      httpJsonRpc({ registry, connections, maxBodyBytes: config.server.max_http_body_size * 1024, maxReplyChars: config.server.max_reply_size * 1024 }),
      ...(inspection.enabled ? [inspectorPage()] : []),
    ],
  });
  const server: Server = createServer(app);
  answerClientErrors(server);
  timeOutIdleBodies(server, opts.bodyIdleTimeoutMs);
  const inspectSocket = inspection.enabled ? createInspectSocket(inspection, { maxBacklogBytes: config.server.max_websocket_backlog * 1024, unsent: connections.unsent }) : undefined;
  const wss = attachWebsocket(server, {
    registry,
    connections,
    maxMessageBytes: config.server.max_websocket_message_size * 1024,
    maxBacklogBytes: config.server.max_websocket_backlog * 1024,
    maxReplyChars: config.server.max_reply_size * 1024,
    authorizeUpgrade: upgradeAuthorization(auth.authorization),
    upgradeRoutes: new Map(inspectSocket ? [[INSPECT_PATH, inspectSocket.handleUpgrade]] : []),
  });
  let unixSocket: Awaited<ReturnType<typeof startUnixSocket>> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    unixSocket =
      opts.unixSocketPath === false
        ? undefined
        : await startUnixSocket({
            path: opts.unixSocketPath ?? join(config.dataPath, 'comms', 'moonraker.sock'),
            registry,
            connections,
            maxMessageBytes: config.server.max_websocket_message_size * 1024,
            maxBacklogBytes: config.server.max_websocket_backlog * 1024,
            maxReplyChars: Math.min(config.server.max_reply_size, config.server.max_websocket_backlog) * 1024,
          });
  } catch (err) {
    // The port is taken, say: nothing may stay running (the virtual Klippy, the database lock).
    for (const sub of subs) sub.unsubscribe();
    inspectSocket?.close();
    wss.close();
    server.close();
    await release();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info(`serving the API at ${url}`);
  if (inspection.enabled) log.info(`machine inspection on: ${url}/debug/inspector/`);
  // Last: the components are listening, so they hear Klippy from its first word.
  klippy.start();

  let closed = false;
  return {
    url,
    port,
    kernel,
    registry,
    virtualKlippy,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of subs) s.unsubscribe();
      await unixSocket?.close();
      connections.closeAll();
      inspectSocket?.close();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await release();
      log.info('stopped');
    },
  };
}
