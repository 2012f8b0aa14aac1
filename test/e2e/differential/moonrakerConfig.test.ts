// The same printer_data tree and moonraker.conf given to today's Moonraker (../shared/moonraker,
// d5ee171) and to moonstate, each with a virtual Klippy at the default socket, and the same
// questions asked of both: how the config was read (server.config orig and files, the typed
// webcam section), config webcams, roots and their permissions, log rollover. Skipped where
// Moonraker cannot run (its Debian Python packages are missing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { VirtualKlippy } from '../../../src/sim/virtualKlippy.js';
import type { J } from '../../helpers/clientReplay.js';
import { freePort } from '../../helpers/cliProcess.js';

const RUN_MOONRAKER = resolve(import.meta.dirname, '../../../../shared/moonraker/run-moonraker.sh');
const CLI = join(import.meta.dirname, '../../../src/cli/moonstate.ts');

function moonrakerMissing(): string | undefined {
  if (!existsSync(RUN_MOONRAKER)) return 'no ../shared/moonraker';
  const py = spawnSync('/usr/bin/python3', ['-c', 'import tornado, PIL, lmdb, distro, libnacl, jinja2'], { stdio: 'ignore' });
  return py.status === 0 ? undefined : "Moonraker's Python packages are not installed";
}

async function call(base: string, method: string, path: string): Promise<{ status: number; body: J }> {
  const res = await fetch(base + path, { method });
  const body = (await res.json().catch(() => undefined)) as J;
  return { status: res.status, body };
}

async function ready(base: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await call(base, 'GET', '/server/info').catch(() => undefined);
    if (r?.body?.result?.klippy_state === 'ready') return;
    if (Date.now() > deadline) throw new Error(`${base} not ready`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const CONF = (port: number) => `[server]
host: 127.0.0.1
port: ${port}
klippy_uds_address: {data_path}/comms/klippy.sock   # Moonraker's template

[machine]
provider: none
validate_service: False
validate_config: False

[announcements]
subscriptions:
enable_moonlight: False

[authorization]
trusted_clients:
    127.0.0.0/8

    # loopback, v6 too
    ::1/128
cors_domains:
    *.local ; inline comment

[file_manager]
enable_object_processing: True

[include moonraker.d/*.conf]
`;

test('Moonraker and moonstate read the same printer_data alike', { skip: moonrakerMissing() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-diff-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const template = join(dir, 'template');
  mkdirSync(join(template, 'config', 'moonraker.d'), { recursive: true });
  mkdirSync(join(template, 'comms'), { recursive: true });
  writeFileSync(join(template, '.moonraker.uuid'), 'fedcba9876543210fedcba9876543210');
  writeFileSync(
    join(template, 'config', 'moonraker.d', '10-cams.conf'),
    '[webcam front door]\nstream_url: /webcam/?action=stream\nrotation: 90\naspect_ratio: 16:9\n\n[webcam bed]\nstream_url: http://cam/bed\nenabled: False\n',
  );
  writeFileSync(join(template, 'config', 'moonraker.d', '20-extra.conf'), '[history]\n');

  const servers: Array<{ name: string; base: string; data: string }> = [];
  const children: ChildProcess[] = [];
  const sims: VirtualKlippy[] = [];
  t.after(async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(sims.map((s) => s.stop()));
  });
  for (const name of ['moonraker', 'moonstate']) {
    const data = join(dir, name);
    cpSync(template, data, { recursive: true });
    const port = await freePort();
    writeFileSync(join(data, 'config', 'moonraker.conf'), CONF(port));
    const sim = new VirtualKlippy({ socketPath: join(data, 'comms', 'klippy.sock'), gcodesPath: join(data, 'gcodes'), timeScale: 20, startupDelayMs: 50 });
    await sim.start();
    sims.push(sim);
    const child =
      name === 'moonraker'
        ? spawn(RUN_MOONRAKER, [String(port), join(data, 'comms', 'klippy.sock'), data, join(data, 'config', 'moonraker.conf')], { stdio: 'ignore' })
        : spawn(process.execPath, ['--import', 'tsx', CLI, '-d', data], { stdio: 'ignore' });
    children.push(child);
    servers.push({ name, base: `http://127.0.0.1:${port}`, data });
  }
  await Promise.all(servers.map((s) => ready(s.base)));
  const [mr, ms] = servers as [(typeof servers)[0], (typeof servers)[0]];
  const both = async (method: string, path: string) => Promise.all([call(mr.base, method, path), call(ms.base, method, path)]);

  const [mrCfg, msCfg] = (await both('GET', '/server/config')).map((r) => r.body.result);
  for (const c of [mrCfg, msCfg]) delete c.orig.server.port;
  assert.deepEqual(msCfg.orig, mrCfg.orig, 'orig: every section and value as written');
  assert.deepEqual(msCfg.files, mrCfg.files, 'files: which file holds which section');
  for (const section of ['webcam front door', 'webcam bed']) assert.deepEqual(msCfg.config[section], mrCfg.config[section], section);
  assert.equal(msCfg.config.file_manager.enable_object_processing, mrCfg.config.file_manager.enable_object_processing);
  assert.equal(msCfg.config.server.klippy_uds_address, mrCfg.config.server.klippy_uds_address, 'the template as written');

  const [mrCams, msCams] = (await both('GET', '/server/webcams/list')).map((r) => r.body.result.webcams as J[]);
  assert.deepEqual(msCams, mrCams, 'config webcams: fields, order, uids');
  const uid = mrCams![0].uid as string;
  const [mrDel, msDel] = await both('DELETE', `/server/webcams/item?uid=${uid}`);
  assert.equal(msDel.status, mrDel.status);
  assert.equal(msDel.body.error.message, mrDel.body.error.message);

  const roots = (r: J) => Object.fromEntries((r.body.result as J[]).filter((x) => ['config', 'gcodes', 'logs'].includes(x.name)).map((x) => [x.name, x.permissions]));
  const [mrRoots, msRoots] = await both('GET', '/server/files/roots');
  assert.deepEqual(roots(msRoots), roots(mrRoots));

  const [mrRoll, msRoll] = await both('POST', '/server/logs/rollover');
  assert.deepEqual(msRoll.body, mrRoll.body);
  const [mrBad, msBad] = await both('POST', '/server/logs/rollover?application=octoprint');
  assert.equal(msBad.status, mrBad.status);
  assert.equal(msBad.body.error.message, mrBad.body.error.message);
});
