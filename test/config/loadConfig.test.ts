import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/loadConfig.js';
import { parseIni } from '../../src/config/iniParser.js';

const dataPath = '/tmp/moonstate-data';

test('defaults: host 0.0.0.0, port 7125, no Klippy socket (the virtual printer)', () => {
  const { config, warnings } = loadConfig({ dataPath });
  assert.equal(config.server.host, '0.0.0.0');
  assert.equal(config.server.port, 7125);
  assert.equal(config.server.klippy_uds_address, undefined);
  assert.equal(config.dataPath, dataPath);
  assert.deepEqual(warnings, []);
});

test('a moonraker.conf with comments, = and : separators, and a continued value', () => {
  const text = `# moonraker.conf
[server]
host = 127.0.0.1   # inline comment
port: 7200
klippy_uds_address: ~/printer_data/comms/klippy.sock

[virtual_klippy]
time_scale: 50
`;
  const { config } = loadConfig({ text, dataPath });
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.server.port, 7200);
  assert.equal(config.server.klippy_uds_address, join(homedir(), 'printer_data/comms/klippy.sock'));
  assert.equal(config.virtual_klippy.time_scale, 50);
});

test('multi-line values are joined with newlines', () => {
  const sections = parseIni('[authorization]\ntrusted_clients:\n  192.168.1.0/24\n  10.0.0.5\n');
  assert.equal(sections.get('authorization')!.options.get('trusted_clients')!.value, '192.168.1.0/24\n10.0.0.5');
});

test('unknown sections and options are warnings that name the line, not errors', () => {
  const { warnings } = loadConfig({ text: '[server]\nport: 7125\nfoo: 1\n\n[octoprint_compat]\n', dataPath });
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /:3: unknown option "foo" in \[server\]/);
  assert.match(warnings[1]!, /:5: unknown section \[octoprint_compat\]/);
});

test('invalid values stop startup with the file, line, section and option named', () => {
  assert.throws(() => loadConfig({ text: '[server]\nport: seventy\n', dataPath }), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /:2: \[server\] port: "seventy" is not a whole number/);
    return true;
  });
  assert.throws(() => loadConfig({ text: '[server]\nport: 70000\n', dataPath }), /outside 0\.\.65535/);
  assert.throws(() => loadConfig({ text: '[server]\nenable_debug_logging: maybe\n', dataPath }), /not true or false/);
  assert.throws(() => loadConfig({ text: '[virtual_klippy]\ntime_scale: 0\n', dataPath }), /time_scale/);
});

test('syntax errors and duplicates are clear errors', () => {
  assert.throws(() => loadConfig({ text: 'port: 1\n', dataPath }), /:1: option outside of any \[section\]/);
  assert.throws(() => loadConfig({ text: '[server]\n[server]\n', dataPath }), /:2: section \[server\] appears twice/);
  assert.throws(() => loadConfig({ text: '[server]\nport: 1\nport: 2\n', dataPath }), /:3: option "port" appears twice/);
  assert.throws(() => loadConfig({ text: '[server]\njust words\n', dataPath }), /expected "key: value"/);
});

test('command-line overrides win over the file; relative paths resolve against the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'moonstate.conf');
  writeFileSync(file, '[server]\nport: 7200\nklippy_uds_address: comms/klippy.sock\n');
  const { config } = loadConfig({ file, dataPath, overrides: { server: { port: 8000, host: '::1' } } });
  assert.equal(config.server.port, 8000);
  assert.equal(config.server.host, '::1');
  assert.equal(config.server.klippy_uds_address, join(dir, 'comms/klippy.sock'));
  assert.equal(config.configFile, file);
});

test('a missing config file is a clear error', () => {
  assert.throws(() => loadConfig({ file: '/nonexistent/moonstate.conf', dataPath }), /cannot read config file \/nonexistent/);
});

test('section and option names that are Object.prototype members are unknown, not special', () => {
  const text = '[constructor]\nx: 1\n[__proto__]\ny: 2\n[server]\nconstructor: 1\nhasOwnProperty: 2\n';
  const { warnings } = loadConfig({ text, dataPath });
  assert.equal(warnings.filter((w) => /unknown (section|option)/.test(w)).length, 4, warnings.join('\n'));
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).includes('y'), false);
});
