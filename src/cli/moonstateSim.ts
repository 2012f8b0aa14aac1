#!/usr/bin/env node
// moonstate-sim: runs the virtual Klippy on a unix socket until SIGTERM/SIGINT (or, with
// --exit-with-stdin, until stdin closes: the server that started it is gone).
// Usage: moonstate-sim --socket PATH [--time-scale N] [--gcodes DIR] [--log-file F]
//                      [--config-file F] [--startup-delay SECONDS] [--exit-with-stdin]
//                      [--private-dir DIR]
//        moonstate-sim scenario FILE [--out FILE]   (src/scenario/cli.ts: the server is only
//                                                   loaded for this subcommand)

import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VirtualKlippy } from '../sim/virtualKlippy.js';

const USAGE =
  'usage: moonstate-sim --socket PATH [--time-scale N] [--gcodes DIR] [--log-file F] ' +
  '[--config-file F] [--startup-delay SECONDS] [--exit-with-stdin] [--private-dir DIR]\n       moonstate-sim scenario FILE [--out FILE]';

function fail(message: string): never {
  process.stderr.write(`moonstate-sim: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveNumber(name: string, raw: string | undefined, allowZero = false): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) fail(`--${name} must be a positive number`);
  return n;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'scenario') {
    const { scenarioMain } = await import('../scenario/cli.js');
    process.exitCode = await scenarioMain(process.argv.slice(3));
    return;
  }
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        socket: { type: 'string' },
        'time-scale': { type: 'string' },
        gcodes: { type: 'string' },
        'log-file': { type: 'string' },
        'config-file': { type: 'string' },
        'startup-delay': { type: 'string' },
        // The embedded mode: the server holds our stdin's other end, so it closes when the server
        // dies in any way (kill -9 included) and we must not outlive it as an orphan.
        'exit-with-stdin': { type: 'boolean' },
        // A folder only this run uses (the socket's): removed when we stop.
        'private-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.socket) fail('--socket is required');
  const startupDelay = positiveNumber('startup-delay', values['startup-delay'], true);
  const timeScale = positiveNumber('time-scale', values['time-scale']) ?? 1;
  const sim = new VirtualKlippy({
    socketPath: values.socket,
    timeScale,
    gcodesPath: values.gcodes,
    logFile: values['log-file'],
    configFile: values['config-file'],
    startupDelayMs: startupDelay === undefined ? undefined : startupDelay * 1000,
  });
  const privateDir = values['private-dir'];
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    void sim.stop().then(() => {
      if (privateDir) rmSync(privateDir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (values['exit-with-stdin']) {
    process.stdin.on('data', () => undefined);
    process.stdin.once('end', shutdown);
    process.stdin.once('close', shutdown);
    process.stdin.once('error', shutdown);
  }
  await sim.start();
  process.stdout.write(`moonstate-sim: listening on ${values.socket} (time scale ${timeScale})\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`moonstate-sim: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
