// `moonstate install` and `moonstate uninstall`: the swap and the swap back, one command each.
// install writes the unit and its environment file, then (unless --no-systemctl) reloads
// systemd, stops and disables Moonraker and enables and starts moonstate; uninstall stops and
// disables moonstate, removes its unit, and enables and starts Moonraker again. Moonraker's own
// files are never touched, so the swap back finds them as they were.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_FILE_NAME, MOONRAKER_UNIT, UNIT_NAME, envText, unitText } from '../install/systemdUnit.js';

const USAGE = `usage: moonstate install   [--user USER] [-d DATA_PATH] [--unit-dir DIR] [--no-systemctl]
       moonstate uninstall [--user USER] [-d DATA_PATH] [--unit-dir DIR] [--no-systemctl]

  install      run moonstate as a systemd service in Moonraker's place (Moonraker is stopped and
               disabled, not removed)
  uninstall    remove moonstate's service and start Moonraker again
  --user USER        the account to run as (default: the user who ran sudo, else the current one)
  -d, --datapath     the printer_data folder (default: ~USER/printer_data)
  --unit-dir DIR     where unit files go (default: /etc/systemd/system)
  --no-systemctl     only write (or remove) the files; print the systemctl commands instead`;

/** A user's home folder from /etc/passwd (the one running sudo is not root's home). */
function homeOf(user: string): string {
  if (user === userInfo().username) return homedir();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === user && f[5]) return f[5];
    }
  } catch {
    /* no passwd file: fall through */
  }
  return join('/home', user);
}

/** The compiled entry point; run from the sources (tsx), the built file beside them. */
function entryPath(): string {
  const self = fileURLToPath(new URL('./moonstate.js', import.meta.url));
  if (existsSync(self)) return self;
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/moonstate.js');
}

function systemctl(args: string[], run: boolean): void {
  if (!run) {
    console.log(`  systemctl ${args.join(' ')}`);
    return;
  }
  const r = spawnSync('systemctl', args, { stdio: 'inherit' });
  if (r.error) throw new Error(`systemctl: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`systemctl ${args.join(' ')} failed (exit ${r.status})`);
}

/** Moonraker may not be installed as a service at all; then there is nothing to stop or start. */
function hasUnit(unit: string, unitDir: string): boolean {
  return existsSync(join(unitDir, unit)) || existsSync(join('/lib/systemd/system', unit)) || existsSync(join('/usr/lib/systemd/system', unit));
}

export function runInstallCli(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        user: { type: 'string' },
        datapath: { type: 'string', short: 'd' },
        'unit-dir': { type: 'string' },
        'no-systemctl': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const command = parsed.positionals[0];
  const a = parsed.values;
  if (a.help || (command !== 'install' && command !== 'uninstall')) {
    console.log(USAGE);
    return a.help ? 0 : 2;
  }
  const user = a.user ?? process.env.SUDO_USER ?? userInfo().username;
  const dataPath = resolve(a.datapath ?? join(homeOf(user), 'printer_data'));
  const unitDir = resolve(a['unit-dir'] ?? '/etc/systemd/system');
  const unitFile = join(unitDir, UNIT_NAME);
  const envFile = join(dataPath, 'systemd', ENV_FILE_NAME);
  const run = !a['no-systemctl'];
  try {
    if (command === 'install') {
      const unit = unitText({ user, dataPath, nodePath: process.execPath, entryPath: entryPath(), envFile });
      mkdirSync(dirname(envFile), { recursive: true });
      writeFileSync(envFile, envText({ dataPath }), { mode: 0o644 });
      mkdirSync(unitDir, { recursive: true });
      writeFileSync(unitFile, unit, { mode: 0o644 });
      console.log(`wrote ${unitFile} and ${envFile} (user ${user}, data ${dataPath})`);
      if (!run) console.log('to swap, run:');
      systemctl(['daemon-reload'], run);
      if (!run || hasUnit(MOONRAKER_UNIT, unitDir)) systemctl(['disable', '--now', MOONRAKER_UNIT], run);
      systemctl(['enable', '--now', UNIT_NAME], run);
      console.log('moonstate serves in Moonraker\'s place; `moonstate uninstall` swaps back.');
    } else {
      if (!run) console.log('to swap back, run:');
      if (!run || existsSync(unitFile)) systemctl(['disable', '--now', UNIT_NAME], run);
      rmSync(unitFile, { force: true });
      rmSync(envFile, { force: true });
      systemctl(['daemon-reload'], run);
      if (!run || hasUnit(MOONRAKER_UNIT, unitDir)) systemctl(['enable', '--now', MOONRAKER_UNIT], run);
      console.log(`removed ${unitFile}; Moonraker serves again.`);
    }
  } catch (err) {
    console.error(`moonstate ${command}: ${(err as Error).message}`);
    return 1;
  }
  return 0;
}
