#!/usr/bin/env node
// `moonstate`: reads the config, starts the server, and stops it cleanly on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/loadConfig.js';
import { loadServerConfig, startServer, type RunningServer } from '../server.js';
import { getLogger } from '../logger.js';
import { MOONSTATE_VERSION } from '../version.js';
import { installProcessGuards } from '../processGuards.js';

const log = getLogger('moonstate');

const USAGE = `usage: moonstate [-d DATA_PATH] [-c FILE] [-l FILE | -n] [-v] [--host HOST] [--port PORT] [--inspect]
       moonstate install | uninstall [--help]   (swap with Moonraker's systemd service)

  -d, --datapath PATH   Moonraker's data folder: config, gcodes, logs, comms, database
                        (default: ~/printer_data)
  -c, --configfile FILE the moonraker.conf to read (default: DATA_PATH/config/moonraker.conf)
      --host HOST       address to listen on (overrides [server] host)
      --port PORT       port to listen on (overrides [server] port)
      --inspect         stream the state machines at /debug/inspect, viewer at /debug/inspector/
                        (sets [server] enable_inspection)
  -l, --logfile FILE    the server's log (default: DATA_PATH/logs/moonraker.log)
  -n, --nologfile       log to stderr only
  -v, --verbose, -g, --debug
                        debug logging (sets [server] enable_debug_logging)
  -u, -s, -o            Moonraker's unix socket, structured logging and asyncio debug
                        options: accepted so Moonraker's command line works, not used
      --version         print the version
  -h, --help            this text

Klippy: the socket in [server] klippy_uds_address, else DATA_PATH/comms/klippy.sock (where
Klipper's installers put it). The built-in virtual Klippy runs instead when the config has a [virtual_klippy]
section, or when there is no config file at all.`;

async function main(): Promise<void> {
  // The swap with Moonraker's service and back (src/cli/install.ts).
  if (process.argv[2] === 'install' || process.argv[2] === 'uninstall') {
    const { runInstallCli } = await import('./install.js');
    process.exitCode = runInstallCli(process.argv.slice(2));
    return;
  }
  installProcessGuards(log);
  let args;
  try {
    args = parseArgs({
      options: {
        configfile: { type: 'string', short: 'c' },
        // The name moonstate used before it followed Moonraker's.
        config: { type: 'string' },
        datapath: { type: 'string', short: 'd' },
        host: { type: 'string' },
        port: { type: 'string' },
        inspect: { type: 'boolean' },
        // Moonraker's other options, so its systemd unit's command line works unchanged.
        logfile: { type: 'string', short: 'l' },
        nologfile: { type: 'boolean', short: 'n' },
        unixsocket: { type: 'string', short: 'u' },
        verbose: { type: 'boolean', short: 'v' },
        debug: { type: 'boolean', short: 'g' },
        'structured-logging': { type: 'boolean', short: 's' },
        'asyncio-debug': { type: 'boolean', short: 'o' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (args.version) {
    console.log(MOONSTATE_VERSION);
    return;
  }
  const dataPath = resolve(expandUser(args.datapath ?? '~/printer_data'));
  const defaultConfig = join(dataPath, 'config', 'moonraker.conf');
  const given = args.configfile ?? args.config;
  // A file named with -c must exist; the default one may be missing (a newcomer's first start).
  const file = given !== undefined ? resolve(expandUser(given)) : existsSync(defaultConfig) ? defaultConfig : undefined;
  const noFileReason = `no config file at ${defaultConfig}`;
  let port: number | undefined;
  if (args.port !== undefined) {
    port = Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`--port: "${args.port}" is not a port number`);
      process.exit(2);
    }
  }
  // server.restart stops everything and starts again from the config file, in this process
  // (as Moonraker does), so a user's edit takes effect without a service manager.
  const load = () => {
    const loaded = loadServerConfig({ file, dataPath, noFileReason, overrides: { server: { host: args.host, port } } });
    if (args.inspect) loaded.config.server.enable_inspection = true;
    if (args.verbose || args.debug) loaded.config.server.enable_debug_logging = true;
    return loaded;
  };
  let server: RunningServer | undefined;
  let busy = false;
  const start = async () => {
    const loaded = load();
    server = await startServer({
      config: loaded.config,
      onRestart: () => void restart(),
      logToFile: !args.nologfile,
      ...(args.logfile !== undefined ? { logFile: resolve(expandUser(args.logfile)) } : {}),
    });
    for (const [flag, used] of [['-u', args.unixsocket], ['-s', args['structured-logging']], ['-o', args['asyncio-debug']]] as const) {
      if (used !== undefined) log.info(`Moonraker's option ${flag} is accepted and not used by moonstate`);
    }
    for (const w of loaded.warnings) log.warn(w);
  };
  const restart = async () => {
    if (busy) return;
    busy = true;
    log.info('restart requested');
    try {
      await server?.close();
      server = undefined;
      await start();
    } catch (err) {
      fail(err);
    }
    busy = false;
  };
  try {
    await start();
  } catch (err) {
    fail(err);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, stopping`);
    (server?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: Error) => {
        log.error(`while stopping: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** A failed start (at startup or at a restart) ends the process with the reason. */
function expandUser(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

function fail(err: unknown): never {
  if (err instanceof ConfigError) console.error(`moonstate: configuration error: ${err.message}`);
  else console.error(`moonstate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}

main().catch((err: Error) => {
  console.error(`moonstate: ${err.stack ?? err.message}`);
  process.exit(1);
});
