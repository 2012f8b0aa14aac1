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
import { VirtualKlippyProcess, makePrivateDir } from './actors/virtualKlippyProcess.actor.js';
import { startFileNotifier, startNotifier } from './actors/notifier.actor.js';
import { ConnectionRegistry } from './transport/connections.js';
import { EndpointRegistry } from './transport/endpointRegistry.js';
import { createHttpApp } from './transport/httpServer.js';
import { attachWebsocket } from './transport/websocketServer.js';
import { startUnixSocket } from './transport/unixSocketServer.js';
import { httpJsonRpc } from './transport/httpJsonRpc.js';
import { klippyRemoteMethod } from './api/klippyEndpoints.js';
import { printerEndpoints, wsSubscriber } from './api/printer.js';
import { serverEndpoints } from './api/server.js';
import { printEndpoints } from './api/print.js';
import { PrintControl } from './actors/printControl.actor.js';
import { machineEndpoints } from './api/machine.js';
import { PrintJobTracker } from './actors/printJob.actor.js';
import { TemperatureStore } from './actors/temperatureStore.actor.js';
import { GcodeStore } from './actors/gcodeStore.actor.js';
import { ProcStats } from './actors/procStats.actor.js';
import { databaseEndpoints } from './api/database.js';
import { webcamEndpoints } from './api/webcams.js';
import { logEndpoints } from './api/logs.js';
import { octoprintEndpoints } from './api/octoprint.js';
import { webClient } from './transport/webClient.js';
import { accessEndpoints } from './api/access.js';
import { authorizationFromConfig } from './auth/fromConfig.js';
import type { TokenClock } from './actors/oneshotTokens.actor.js';
import { HISTORY_NAMESPACE, PrintHistory, TOTALS_KEY, TOTALS_NAMESPACE } from './actors/history.actor.js';
import { importMoonrakerDatabase } from './db/moonrakerImport.js';
import { JobQueue } from './actors/jobQueue.actor.js';
import { historyEndpoints } from './api/history.js';
import { jobQueueEndpoints } from './api/jobQueue.js';
import { fileEndpoints } from './api/files.js';
import { FileManager } from './fs/fileManager.js';
import { printStatsFromJob } from './fs/fileInUse.js';
import type { Services } from './api/services.js';
import { Database } from './db/database.js';
import { Inspection } from './actors/inspection.actor.js';
import { createInspectSocket, INSPECT_PATH } from './transport/inspectSocket.js';
import { inspectorPage } from './transport/inspectorPage.js';
import { MACHINES } from './machines/index.js';
import { getLogger, logSink } from './logger.js';
import { MOONSTATE_VERSION } from './version.js';

const log = getLogger('server');

/**
 * Our own store, in a folder of its own: {data_path}/database holds Moonraker's database
 * (moonraker-sql.db, or data.mdb in the older LMDB layout, the very file name our LMDB store
 * would use), which we must never write to.
 */
export const moonstateDatabasePath = (dataPath: string): string => join(dataPath, 'database', 'moonstate');

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:7125 */
  url: string;
  port: number;
  services: Services;
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
  // Before anything is started: a key file we cannot read or write stops startup cleanly.
  const auth = authorizationFromConfig(config, { tokenClock, inspect: inspection.inspector('oneshotToken') });

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
  const printJob = new PrintJobTracker(klippy, subscriptions, { inspect: inspection.inspector('printJob') });
  const files = new FileManager({
    config,
    klippy,
    database,
    paths: dirs,
    embedded: virtualKlippy !== undefined,
    printStats: printStatsFromJob(printJob, klippy),
    fsyncUploads: opts.unsafeUploadsWithoutFsync !== true,
  });
  const resolveGcode = (filename: string) => files.resolveGcode(filename);
  const printControl = new PrintControl(klippy, printJob, resolveGcode);
  const history = new PrintHistory({
    database,
    jobEvents: printJob.events$,
    gcodesPath: () => files.roots.pathOf('gcodes'),
    metadata: (f) => files.jobMetadata(f),
    jobRecorded: (f, start, id) => files.jobRecorded(f, start, id),
  });
  const jobQueue = new JobQueue({
    database,
    klippy,
    printJob,
    printControl,
    resolve: resolveGcode,
    settings: config.job_queue,
    inspect: inspection.inspector('jobQueue'),
  });
  const temperatures = new TemperatureStore(klippy, subscriptions, { size: config.data_store.temperature_store_size });
  const gcodeStore = new GcodeStore(klippy, config.data_store.gcode_store_size);
  const procStats = new ProcStats(connections);
  const services: Services = {
    config,
    klippy,
    subscriptions,
    connections,
    database,
    printJob,
    printControl,
    temperatures,
    gcodeStore,
    procStats,
    registeredDirectories: () => files.roots.available().map((r) => r.name),
    files,
    history,
    jobQueue,
    inspection,
    restart: opts.onRestart,
    paths: { data: config.dataPath, ...dirs },
  };

  const registry: EndpointRegistry = new EndpointRegistry().add(
    ...printerEndpoints(services),
    ...printEndpoints(services),
    ...serverEndpoints(services, () => registry),
    ...machineEndpoints(services),
    ...databaseEndpoints(services),
    ...webcamEndpoints(services),
    ...logEndpoints(),
    ...octoprintEndpoints(),
    ...accessEndpoints(auth),
    ...historyEndpoints(services),
    ...jobQueueEndpoints(services),
    ...fileEndpoints(services, files),
  ).setFallback(klippyRemoteMethod(klippy));

  const subs: Subscription[] = [
    startNotifier({ klippy, printJob, connections, history, jobQueue }),
    startFileNotifier(files, connections),
    connections.closed$.subscribe((conn) => subscriptions.unsubscribe(wsSubscriber(conn))),
  ];

  const app = createHttpApp({
    registry,
    connections,
    dialect: config.server.api_dialect,
    maxBodyBytes: config.server.max_http_body_size * 1024,
    maxReplyChars: config.server.max_reply_size * 1024,
    before: [...(config.server.web_path ? [webClient(config.server.web_path)] : []), ...auth.authorization.httpMiddleware(registry)],
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
    authorizeUpgrade: auth.authorization.authorizeUpgrade,
    upgradeRoutes: new Map(inspectSocket ? [[INSPECT_PATH, inspectSocket.handleUpgrade]] : []),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const unixSocket =
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
  const port = (server.address() as AddressInfo).port;
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info(`serving the API at ${url}`);
  if (inspection.enabled) log.info(`machine inspection on: ${url}/debug/inspector/`);
  // History and the queue listen before the print job machine can announce anything.
  history.start();
  jobQueue.start();
  printJob.start();
  temperatures.start();
  procStats.start();
  files.start();
  klippy.start();

  let closed = false;
  return {
    url,
    port,
    services,
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
      temperatures.stop();
      gcodeStore.stop();
      procStats.stop();
      jobQueue.stop();
      printJob.stop();
      await history.stop();
      subscriptions.dispose();
      auth.tokens.dispose();
      klippy.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await virtualKlippy?.stop();
      await files.close();
      await database.close();
      if (!opts.inspection) inspection.close();
      if (privateDir) rmSync(privateDir, { recursive: true, force: true });
      log.info('stopped');
    },
  };
}
