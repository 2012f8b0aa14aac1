// Real printer_data trees with moonraker.conf files shaped like the ones users have (MainsailOS's,
// KIAUH's, a Voron/RatOS-style tree of includes), read the way Moonraker reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../src/config/loadConfig.js';
import { KIAUH_CONF, MAINSAILOS_CONF } from '../helpers/moonrakerConfs.js';
import { loadServerConfig } from '../../src/server.js';
import { sectionOptions } from '../../src/components/componentHost.js';
import { authorization } from '../../src/components/authorization/index.js';
import { jobQueue } from '../../src/components/job_queue/index.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'printer-data-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

test("MainsailOS's moonraker.conf: Klippy at its socket, every section in server.config, one warning for missing components", (t) => {
  const data = tree({ 'config/moonraker.conf': MAINSAILOS_CONF });
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const { config, warnings } = loadServerConfig({ file: join(data, 'config/moonraker.conf'), dataPath: data });
  assert.equal(config.klippy.virtual, false);
  assert.equal(config.server.klippy_uds_address, join(homedir(), 'printer_data/comms/klippy.sock'));
  assert.equal(sectionOptions(authorization, config).authorization.trusted_clients?.length, 7);
  assert.equal(sectionOptions(authorization, config).authorization.cors_domains.length, 4);
  assert.deepEqual(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /\[announcements\], \[update_manager\], \[update_manager mainsail\], \[update_manager mainsail-config\], \[update_manager crowsnest\], \[update_manager sonar\]/);
  // Commented-out sections are not sections.
  assert.equal(config.parsed.timelapse, undefined);
  assert.deepEqual(config.parsed['update_manager mainsail'], { type: 'web', channel: 'stable', repo: 'mainsail-crew/mainsail', path: '~/mainsail' });
  assert.equal(config.parsed.announcements!.subscriptions, 'mainsail');
  assert.equal(config.parsed.server!.max_upload_size, 1024);
  // Options Moonraker reads and moonstate only accepts are typed as Moonraker types them.
  assert.equal(config.parsed.file_manager!.enable_object_processing, false);
  assert.equal(config.parsed.file_manager!.queue_gcode_uploads, false);
  assert.ok('history' in config.parsed && 'octoprint_compat' in config.parsed);
});

test("KIAUH's moonraker.conf: {data_path} is the data path given on the command line", (t) => {
  const data = tree({ 'config/moonraker.conf': KIAUH_CONF });
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const { config } = loadServerConfig({ file: join(data, 'config/moonraker.conf'), dataPath: data });
  assert.equal(config.server.klippy_uds_address, join(data, 'comms/klippy.sock'));
  assert.equal(config.parsed['update_manager fluidd']!.repo, 'fluidd-core/fluidd');
});

test('a Voron/RatOS-style tree: includes with globs and relative paths, read in order, sections merged across files', (t) => {
  const data = tree({
    'config/moonraker.conf': [
      '[server]',
      'host: 0.0.0.0',
      'port: 7125',
      'max_upload_size: 2048          # the included RatOS file, read later, sets 512',
      '[include moonraker.d/*.conf]   # every drop-in, sorted',
      '[include RatOS/moonraker.conf]',
      '[include ~/nonexistent-but-unused/*.conf]',
    ].join('\n'),
    'config/moonraker.d/10-webcam.conf': '[webcam bed]\nstream_url: /webcam/?action=stream\nsnapshot_url: /webcam/?action=snapshot\nrotation: 180\n',
    'config/moonraker.d/20-timelapse.conf': '[timelapse]\noutput_path: ~/printer_data/timelapse/\nframe_path: /tmp/timelapse/printer\n',
    'config/moonraker.d/README.md': 'not a conf file, not matched',
    'config/moonraker.d/30-queue.conf': '[job_queue]\nload_on_startup: False\nautomatic_transition: True\n',
    'config/RatOS/moonraker.conf': '[server]\nmax_upload_size: 512\n[include ../RatOS/extras/*.cfg]\n',
    'config/RatOS/extras/spoolman.cfg': '[spoolman]\nserver: http://192.168.1.10:7912\nsync_rate: 5\n',
    'config/RatOS/extras/job.cfg': '[job_queue]\nload_on_startup: True\n',
  });
  t.after(() => rmSync(data, { recursive: true, force: true }));
  // The last include matches nothing: Moonraker refuses that.
  const main = join(data, 'config/moonraker.conf');
  assert.throws(() => loadServerConfig({ file: main, dataPath: data }), (e: Error) => e instanceof ConfigError && /moonraker\.conf:7: no files match \[include ~\/nonexistent-but-unused\/\*\.conf\]/.test(e.message));
  writeFileSync(main, readWithout(main, '[include ~/nonexistent-but-unused/*.conf]'));
  const { config, warnings } = loadServerConfig({ file: main, dataPath: data, overrides: {} });
  assert.equal(config.server.max_upload_size, 512, 'a later file wins');
  assert.equal(sectionOptions(jobQueue, config).job_queue.load_on_startup, true, 'RatOS is read after moonraker.d');
  assert.equal(sectionOptions(jobQueue, config).job_queue.automatic_transition, true, 'options merge across files');
  assert.equal(config.parsed.spoolman!.sync_rate, '5');
  assert.equal(config.parsed.timelapse!.output_path, '~/printer_data/timelapse/');
  assert.deepEqual(config.webcams.map((w) => [w.name, w.rotation, w.stream_url]), [['bed', 180, '/webcam/?action=stream']]);
  assert.deepEqual(
    config.configFiles.map((f) => [f.path.slice(data.length + 1), f.sections]),
    [
      ['config/moonraker.conf', ['server']],
      ['config/moonraker.d/10-webcam.conf', ['webcam bed']],
      ['config/moonraker.d/20-timelapse.conf', ['timelapse']],
      ['config/moonraker.d/30-queue.conf', ['job_queue']],
      ['config/RatOS/moonraker.conf', ['server']],
      ['config/RatOS/extras/job.cfg', ['job_queue']],
      ['config/RatOS/extras/spoolman.cfg', ['spoolman']],
    ],
  );
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /\[timelapse\], \[spoolman\]/);
});

function readWithout(file: string, line: string): string {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== line).join('\n');
}

test('includes that loop, options after an include without a header, and bad templates are clear errors', (t) => {
  const data = tree({
    'config/a.conf': '[server]\n[include sub/b.conf]\n',
    'config/sub/b.conf': '[include ../a.conf]\n',
    'config/c.conf': '[include d.conf]\nport: 1\n',
    'config/d.conf': '[history]\n',
    'config/e.conf': '[server]\nklippy_uds_address: {printer_data}/comms/klippy.sock\n',
    'config/f.conf': '[server]\n[include]\n',
  });
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const load = (f: string) => () => loadServerConfig({ file: join(data, 'config', f), dataPath: data });
  assert.throws(load('a.conf'), /b\.conf:1: recursive include of .*a\.conf/);
  assert.throws(load('c.conf'), /c\.conf:2: option outside of any \[section\]/);
  assert.throws(load('e.conf'), /e\.conf:2: \[server\] klippy_uds_address: unknown template \{printer_data\}/);
  assert.throws(load('f.conf'), /f\.conf:2: invalid include directive/);
});

test('an include through a symlinked folder and an absolute glob are followed', (t) => {
  const data = tree({
    'shared/cams/front.conf': '[webcam front]\nstream_url: http://cam/front\n',
    'shared/cams/side.conf': '[webcam side]\nstream_url: http://cam/side\nenabled: False\n',
  });
  t.after(() => rmSync(data, { recursive: true, force: true }));
  mkdirSync(join(data, 'config'));
  symlinkSync(join(data, 'shared'), join(data, 'config', 'linked'));
  writeFileSync(join(data, 'config/moonraker.conf'), `[server]\n[include linked/cams/f*.conf]\n[include ${data}/shared/cams/s?de.conf]\n`);
  const { config } = loadServerConfig({ file: join(data, 'config/moonraker.conf'), dataPath: data });
  assert.deepEqual(config.webcams.map((w) => [w.name, w.enabled]), [['front', true], ['side', false]]);
});

test('hostile section and option names are data, not object machinery', (t) => {
  const data = tree({ 'config/moonraker.conf': '[server]\n[__proto__]\npolluted: yes\n[constructor]\nprototype: 1\n[webcam __proto__]\nstream_url: http://x\n[history]\n__proto__: 1\n' });
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const { config } = loadServerConfig({ file: join(data, 'config/moonraker.conf'), dataPath: data });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(config.orig), ['DEFAULT', 'server', '__proto__', 'constructor', 'webcam __proto__', 'history']);
  assert.equal(config.orig.__proto__!.polluted, 'yes');
  assert.equal(config.parsed.constructor.prototype, '1');
  assert.deepEqual(config.webcams.map((w) => w.name), ['__proto__']);
});

test('a bad [webcam] section costs that webcam, with a warning, not the start', (t) => {
  const data = tree({ 'config/moonraker.conf': '[server]\n[webcam a]\nstream_url: x\nrotation: 45\n[webcam b]\nstream_url: y\n[webcam c]\nicon: mdiCamera\n' });
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const { config, warnings } = loadServerConfig({ file: join(data, 'config/moonraker.conf'), dataPath: data });
  assert.deepEqual(config.webcams.map((w) => w.name), ['b']);
  assert.match(warnings[0]!, /^moonraker\.conf:4: \[webcam a\] rotation: "45" is not one of 0, 90, 180, 270.*; this webcam is ignored$/);
  assert.match(warnings[1]!, /^moonraker\.conf:7: \[webcam c\] has no stream_url/);
});
