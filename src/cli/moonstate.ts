#!/usr/bin/env node
// `moonstate`: reads the config, starts the server, and stops it cleanly on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, ConfigError } from '../config/loadConfig.js';
import { startServer, type RunningServer } from '../server.js';
import { getLogger } from '../logger.js';
import { MOONSTATE_VERSION } from '../version.js';

const log = getLogger('moonstate');

const USAGE = `usage: moonstate [-c FILE] [-d DATA_PATH] [--host HOST] [--port PORT] [--inspect]
       moonstate install | uninstall [--help]   (swap with Moonraker's systemd service)

  -c, --config FILE     moonraker.conf-style config (default: DATA_PATH/config/moonstate.conf if present)
  -d, --datapath PATH   data folder: gcodes, config, logs (default: ~/moonstate_data)
      --host HOST       address to listen on (overrides [server] host)
      --port PORT       port to listen on (overrides [server] port)
      --inspect         stream the state machines at /debug/inspect, viewer at /debug/inspector/
                        (sets [server] enable_inspection)
  -v, --version         print the version
  -h, --help            this text

With no klippy_uds_address in [server], a built-in virtual Klippy is started.`;

async function main(): Promise<void> {
  // The swap with Moonraker's service and back (src/cli/install.ts).
  if (process.argv[2] === 'install' || process.argv[2] === 'uninstall') {
    const { runInstallCli } = await import('./install.js');
    process.exitCode = runInstallCli(process.argv.slice(2));
    return;
  }
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        datapath: { type: 'string', short: 'd' },
        host: { type: 'string' },
        port: { type: 'string' },
        inspect: { type: 'boolean' },
        version: { type: 'boolean', short: 'v' },
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
  const dataPath = resolve(args.datapath ?? join(homedir(), 'moonstate_data'));
  const defaultConfig = join(dataPath, 'config', 'moonstate.conf');
  const file = args.config !== undefined ? resolve(args.config) : existsSync(defaultConfig) ? defaultConfig : undefined;
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
    const loaded = loadConfig({ file, dataPath, overrides: { server: { host: args.host, port } } });
    if (args.inspect) loaded.config.server.enable_inspection = true;
    return loaded;
  };
  let server: RunningServer | undefined;
  let busy = false;
  const start = async () => {
    const loaded = load();
    server = await startServer({ config: loaded.config, onRestart: () => void restart() });
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
function fail(err: unknown): never {
  if (err instanceof ConfigError) console.error(`moonstate: configuration error: ${err.message}`);
  else console.error(`moonstate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}

main().catch((err: Error) => {
  console.error(`moonstate: ${err.stack ?? err.message}`);
  process.exit(1);
});
