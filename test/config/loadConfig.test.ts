import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/loadConfig.js';
import { parseIni } from '../../src/config/iniParser.js';
import { loadServerConfig } from '../../src/server.js';
import { sectionOptions } from '../../src/components/componentHost.js';
import { dataStore } from '../../src/components/data_store/index.js';
import { octoprintCompat } from '../../src/components/octoprint_compat/index.js';

const dataPath = '/tmp/moonstate-data';

test('no config file: host 0.0.0.0, port 7125, the virtual printer', () => {
  const { config, warnings } = loadServerConfig({ dataPath });
  assert.equal(config.server.host, '0.0.0.0');
  assert.equal(config.server.port, 7125);
  assert.equal(config.server.klippy_uds_address, undefined);
  assert.equal(config.klippy.virtual, true);
  assert.equal(config.dataPath, dataPath);
  assert.deepEqual(warnings, []);
});

test('a config file without klippy_uds_address means the socket under the data path, not the virtual printer', () => {
  const { config } = loadServerConfig({ text: '[server]\nport: 7125\n', dataPath });
  assert.equal(config.klippy.virtual, false);
  assert.equal(config.server.klippy_uds_address, join(dataPath, 'comms', 'klippy.sock'));
  assert.match(config.klippy.reason, /no klippy_uds_address/);
});

test('[virtual_klippy] wins over klippy_uds_address, and says so', () => {
  const { config } = loadServerConfig({ text: '[server]\nklippy_uds_address: /tmp/k.sock\n[virtual_klippy]\n', dataPath });
  assert.equal(config.klippy.virtual, true);
  assert.equal(config.server.klippy_uds_address, undefined);
  assert.match(config.klippy.reason, /\[virtual_klippy\].*wins over klippy_uds_address/);
});

test('a moonraker.conf with comments, = and : separators, and a continued value', () => {
  const text = `# moonraker.conf
[server]
host = 127.0.0.1   # inline comment
port: 7200
web_path: ~/mainsail

[virtual_klippy]
time_scale: 50
`;
  const { config } = loadServerConfig({ text, dataPath });
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.server.port, 7200);
  assert.equal(config.server.web_path, join(homedir(), 'mainsail'));
  assert.equal(config.virtual_klippy.time_scale, 50);
});

test('multi-line values are joined with newlines', () => {
  const sections = parseIni('[authorization]\ntrusted_clients:\n  192.168.1.0/24\n  10.0.0.5\n');
  assert.equal(sections.get('authorization')!.options.get('trusted_clients')!.value, '192.168.1.0/24\n10.0.0.5');
});

test('a multi-line value goes on across blank lines and comments, and ends at the next option', () => {
  const text = [
    '[authorization]',
    'trusted_clients:',
    '    10.0.0.0/8   # the LAN',
    '',
    '    # a comment inside the list',
    '; another',
    '    127.0.0.0/8',
    '\t::1',
    'cors_domains:',
    '  *.local',
    '[server]',
    'port: 7125 ; inline, after a space',
    'host: 0.0.0.0#not a comment without a space',
    'web_path: /srv/a \\#b',
  ].join('\n');
  const sections = parseIni(text);
  const auth = sections.get('authorization')!.options;
  assert.equal(auth.get('trusted_clients')!.value, '10.0.0.0/8\n127.0.0.0/8\n::1');
  assert.equal(auth.get('cors_domains')!.value, '*.local');
  const server = sections.get('server')!.options;
  assert.equal(server.get('port')!.value, '7125');
  assert.equal(server.get('host')!.value, '0.0.0.0#not a comment without a space');
  assert.equal(server.get('web_path')!.value, '/srv/a #b');
});

test('unknown sections and options are warnings that name the line, in Moonraker\'s words; known ones are quiet', () => {
  const text = '[server]\nport: 7125\nfoo: 1\nssl_port: 7130\n\n[octoprint_compat]\n[history]\n[my_plugin]\nx: 1\n[update_manager]\n[update_manager mainsail]\ntype: web\n[file_manager]\nenable_object_processing: False\n';
  const { warnings } = loadServerConfig({ text, dataPath });
  assert.equal(warnings.length, 3, warnings.join('\n'));
  assert.match(warnings[0]!, /:3: Unparsed config option 'foo: 1' detected in section \[server\]/);
  assert.match(warnings[1]!, /:8: Unparsed config section \[my_plugin\] detected/);
  assert.match(warnings[2]!, /does not have these Moonraker components.*\[update_manager\], \[update_manager mainsail\]/);
});

test('invalid values stop startup with the file, line, section and option named', () => {
  assert.throws(() => loadServerConfig({ text: '[server]\nport: seventy\n', dataPath }), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /:2: \[server\] port: "seventy" is not a whole number/);
    return true;
  });
  assert.throws(() => loadServerConfig({ text: '[server]\nport: 70000\n', dataPath }), /outside 0\.\.65535/);
  assert.throws(() => loadServerConfig({ text: '[server]\nenable_debug_logging: maybe\n', dataPath }), /not true or false/);
  assert.throws(() => loadServerConfig({ text: '[virtual_klippy]\ntime_scale: 0\n', dataPath }), /time_scale/);
});

test('syntax errors and duplicates are clear errors', () => {
  assert.throws(() => loadServerConfig({ text: 'port: 1\n', dataPath }), /:1: option outside of any \[section\]/);
  assert.throws(() => loadServerConfig({ text: '[server]\n[server]\n', dataPath }), /:2: section \[server\] appears twice/);
  assert.throws(() => loadServerConfig({ text: '[server]\nport: 1\nport: 2\n', dataPath }), /:3: option "port" appears twice/);
  assert.throws(() => loadServerConfig({ text: '[server]\njust words\n', dataPath }), /expected "key: value"/);
});

test('command-line overrides win over the file; relative paths resolve against the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'moonraker.conf');
  writeFileSync(file, '[server]\nport: 7200\nklippy_uds_address: comms/klippy.sock\n');
  const { config } = loadServerConfig({ file, dataPath, overrides: { server: { port: 8000, host: '::1' } } });
  assert.equal(config.server.port, 8000);
  assert.equal(config.server.host, '::1');
  assert.equal(config.server.klippy_uds_address, join(dir, 'comms/klippy.sock'));
  assert.equal(config.configFile, file);
});

test('a missing config file is a clear error', () => {
  assert.throws(() => loadServerConfig({ file: '/nonexistent/moonraker.conf', dataPath }), /cannot read config file \/nonexistent/);
});

test('section and option names that are Object.prototype members are unknown, not special', () => {
  const text = '[constructor]\nx: 1\n[__proto__]\ny: 2\n[server]\nconstructor: 1\nhasOwnProperty: 2\n';
  const { warnings } = loadServerConfig({ text, dataPath });
  assert.equal(warnings.filter((w) => /Unparsed config (section|option)/.test(w)).length, 4, warnings.join('\n'));
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).includes('y'), false);
});

test("a bad value in a core component's section stops startup naming the file, line, section and option", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'moonraker.conf');
  const cases: Array<[string, RegExp]> = [
    ['[job_queue]\njob_transition_delay: soon\n', /moonraker\.conf:2: \[job_queue\] job_transition_delay: "soon"/],
    ['[data_store]\n\ntemperature_store_size: 0\n', /moonraker\.conf:3: \[data_store\] temperature_store_size: .*outside 1\.\.86400/],
    ['[authorization]\nenabled: perhaps\n', /moonraker\.conf:2: \[authorization\] enabled: "perhaps" is not true or false/],
    ['[file_manager]\nenable_config_write_access: nope\n', /moonraker\.conf:2: \[file_manager\] enable_config_write_access/],
    ['[virtual_sdcard]\npath: {nope}\n', /moonraker\.conf:2: \[virtual_sdcard\] path/],
  ];
  for (const [text, expected] of cases) {
    writeFileSync(file, text);
    assert.throws(() => loadServerConfig({ file, dataPath }), (e: Error) => {
      assert.ok(e instanceof ConfigError, e.message);
      assert.match(e.message, expected);
      return true;
    });
  }
});

test('components\' sections: typed with defaults in server.config whether written or not; unknown options are warnings, Moonraker-only ones quiet', () => {
  const text = '[server]\n[data_store]\ngcode_store_size: 5\ntemperature_store_sise: 600\n[machine]\nprovider: none\n';
  const { config, warnings } = loadServerConfig({ text, dataPath });
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /^config:4: Unparsed config option 'temperature_store_sise: 600' detected in section \[data_store\]/);
  assert.deepEqual(config.parsed.data_store, { temperature_store_size: 1200, gcode_store_size: 5 });
  assert.equal(config.parsed.machine!.provider, 'none');
  assert.equal(config.parsed.machine!.shutdown_command, 'sudo shutdown now');
  assert.equal(config.parsed.job_queue!.job_transition_delay, 0.01, 'a core section is shown even when the file lacks it');
  assert.equal(config.parsed.virtual_sdcard!.path, undefined);
  assert.deepEqual(config.orig.data_store, { gcode_store_size: '5', temperature_store_sise: '600' });
  assert.deepEqual(sectionOptions(dataStore, config).data_store, { temperature_store_size: 1200, gcode_store_size: 5 });
});

test("a bad value in an optional component's section fails that component only, named without the disk path", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'moonraker.conf');
  writeFileSync(file, '[server]\n[octoprint_compat]\nflip_h: sideways\n');
  const { config } = loadServerConfig({ file, dataPath });
  assert.throws(() => sectionOptions(octoprintCompat, config), (e: Error) => {
    assert.match(e.message, /^moonraker\.conf:3: \[octoprint_compat\] flip_h: "sideways" is not true or false/);
    assert.ok(!e.message.includes(dir), e.message);
    return true;
  });
  // Its options as written are still what server.config shows.
  assert.deepEqual(config.parsed.octoprint_compat, { flip_h: 'sideways' });
});
