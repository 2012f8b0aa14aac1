// `moonstate install` / `uninstall` run as a user would run them, as real child processes: the
// unit and environment file written where asked, Moonraker's unit left as it was, and the
// systemctl commands of the swap and the swap back, in order (a stand-in systemctl on PATH
// records them: there is no systemd here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../src/cli/moonstate.ts');
const MOONRAKER_UNIT = '[Unit]\nDescription=API Server for Klipper SV1\n[Service]\nExecStart=/home/pi/moonraker-env/bin/python $MOONRAKER_ARGS\n';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-install-'));
  const bin = join(dir, 'bin');
  const unitDir = join(dir, 'units');
  const dataPath = join(dir, 'printer_data');
  mkdirSync(bin);
  mkdirSync(unitDir);
  mkdirSync(join(dataPath, 'systemd'), { recursive: true });
  writeFileSync(join(unitDir, 'moonraker.service'), MOONRAKER_UNIT);
  writeFileSync(join(dataPath, 'systemd', 'moonraker.env'), 'MOONRAKER_ARGS="-d /home/pi/printer_data"\n');
  const calls = join(dir, 'systemctl.log');
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${calls}\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--unit-dir', unitDir, '-d', dataPath, '--user', userInfo().username], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
  const systemctlCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);
  return { dir, unitDir, dataPath, run, systemctlCalls };
}

test('install writes a unit like Moonraker\'s and swaps the services; uninstall swaps back', () => {
  const t = setup();
  try {
    const r = t.run('install');
    assert.equal(r.status, 0, r.stderr);
    const unit = readFileSync(join(t.unitDir, 'moonstate.service'), 'utf8');
    assert.match(unit, new RegExp(`^User=${userInfo().username}$`, 'm'));
    assert.match(unit, /^Conflicts=moonraker\.service$/m, 'systemd never runs both');
    assert.match(unit, /^After=network-online\.target$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, new RegExp(`^EnvironmentFile=${t.dataPath}/systemd/moonstate\\.env$`, 'm'));
    const exec = /^ExecStart=(\S+) (\S+) \$MOONSTATE_ARGS$/m.exec(unit);
    assert.ok(exec, unit);
    assert.equal(exec[1], process.execPath);
    assert.match(exec[2]!, /moonstate\.js$/);
    assert.equal(readFileSync(join(t.dataPath, 'systemd', 'moonstate.env'), 'utf8'), `MOONSTATE_ARGS="-d ${t.dataPath}"\n`);
    assert.deepEqual(t.systemctlCalls(), ['daemon-reload', 'disable --now moonraker.service', 'enable --now moonstate.service']);
    // Moonraker's files are as they were, ready for the swap back.
    assert.equal(readFileSync(join(t.unitDir, 'moonraker.service'), 'utf8'), MOONRAKER_UNIT);

    const back = t.run('uninstall');
    assert.equal(back.status, 0, back.stderr);
    assert.equal(existsSync(join(t.unitDir, 'moonstate.service')), false);
    assert.equal(existsSync(join(t.dataPath, 'systemd', 'moonstate.env')), false);
    assert.ok(existsSync(join(t.dataPath, 'systemd', 'moonraker.env')));
    assert.deepEqual(t.systemctlCalls().slice(3), ['disable --now moonstate.service', 'daemon-reload', 'enable --now moonraker.service']);
  } finally {
    rmSync(t.dir, { recursive: true, force: true });
  }
});

test('--no-systemctl only writes the files and prints the commands', () => {
  const t = setup();
  try {
    const r = t.run('install', '--no-systemctl');
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(t.unitDir, 'moonstate.service')));
    assert.deepEqual(t.systemctlCalls(), []);
    assert.match(r.stdout, /systemctl enable --now moonstate\.service/);
  } finally {
    rmSync(t.dir, { recursive: true, force: true });
  }
});

test('a data path systemd would split is refused before anything is written', () => {
  const t = setup();
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'install', '--no-systemctl', '--unit-dir', t.unitDir, '-d', join(t.dir, 'my printer')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /may not contain spaces/);
    assert.equal(existsSync(join(t.unitDir, 'moonstate.service')), false);
  } finally {
    rmSync(t.dir, { recursive: true, force: true });
  }
});
