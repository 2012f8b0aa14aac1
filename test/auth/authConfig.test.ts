// The [authorization] section and [server] enable_cors as read from a config file, and the
// rule that decides which addresses are trusted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/loadConfig.js';
import type { MoonstateConfig } from '../../src/config/configSchema.js';
import { loadServerConfig } from '../../src/server.js';
import { effectiveTrustedClients } from '../../src/components/authorization/fromConfig.js';
import { sectionOptions } from '../../src/components/componentHost.js';
import { authorization } from '../../src/components/authorization/index.js';

const dataPath = '/tmp/moonstate-data';
const load = (text: string) => loadServerConfig({ text, dataPath }).config;
/** The typed [authorization] options the component is created with. */
const auth = (config: MoonstateConfig) => sectionOptions(authorization, config).authorization;

test('defaults: enabled, no trusted clients set, no CORS, the key file decided at startup', () => {
  const { config, warnings } = loadServerConfig({ dataPath });
  assert.deepEqual(auth(config), { enabled: true, api_key_file: undefined, trusted_clients: undefined, cors_domains: [] });
  assert.equal(config.server.enable_cors, false);
  assert.deepEqual(warnings, []);
});

test('a Moonraker-style [authorization] section, lists on lines or with commas', () => {
  const config = load(`[server]
enable_cors: True
[authorization]
enabled: false
api_key_file: /var/lib/printer/.key
trusted_clients:
  192.168.1.0/24
  10.0.0.5, FE80::/10
  ::1
cors_domains:
  *.local
  http://my.printer.lan:*
`);
  assert.equal(config.server.enable_cors, true);
  assert.equal(auth(config).enabled, false);
  assert.equal(auth(config).api_key_file, '/var/lib/printer/.key');
  assert.deepEqual(
    auth(config).trusted_clients?.map((n) => n.entry),
    ['192.168.1.0/24', '10.0.0.5', 'FE80::/10', '::1'],
  );
  assert.deepEqual(auth(config).cors_domains, ['*.local', 'http://my.printer.lan:*']);
});

test('an invalid trusted client stops startup naming the entry, the file line and the option', () => {
  assert.throws(
    () => load('[authorization]\ntrusted_clients:\n  192.168.1.0/24\n  printer.lan\n'),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message.includes('"printer.lan"') &&
      e.message.includes('[authorization] trusted_clients') &&
      e.message.includes(':2:'),
  );
  assert.throws(() => load('[authorization]\ntrusted_clients: 10.0.0.0/40\n'), /"10\.0\.0\.0\/40"/);
});

test('an invalid cors domain stops startup naming it', () => {
  assert.throws(
    () => load('[authorization]\ncors_domains: http://printer.lan/\n'),
    (e: Error) => e instanceof ConfigError && e.message.includes('"http://printer.lan/"') && e.message.includes('cors_domains'),
  );
  assert.throws(() => load('[authorization]\ncors_domains: http://printer.*\n'), /top-level domain/);
});

test('trusted clients in force: loopback only in the embedded mode with trusted_clients absent', () => {
  // A config file runs the virtual printer only with a [virtual_klippy] section.
  const VK = '[virtual_klippy]\n';
  const cases: Array<[string, string, boolean]> = [
    // config, peer, trusted?
    [VK, '127.0.0.1', true],
    [VK, '127.9.9.9', true],
    [VK, '::1', true],
    [VK, '::ffff:127.0.0.1', true],
    [VK, '192.168.1.5', false],
    [VK + '[authorization]\ntrusted_clients:\n', '127.0.0.1', false],
    [VK + '[authorization]\ntrusted_clients: 192.168.1.0/24\n', '127.0.0.1', false],
    [VK + '[authorization]\ntrusted_clients: 192.168.1.0/24\n', '192.168.1.5', true],
    ['[server]\nklippy_uds_address: /tmp/k.sock\n', '127.0.0.1', false],
    // A config file without either means Klippy at the default socket: not embedded.
    ['[server]\nport: 7125\n', '127.0.0.1', false],
    ['[server]\nklippy_uds_address: /tmp/k.sock\n[authorization]\ntrusted_clients: 127.0.0.1\n', '127.0.0.1', true],
  ];
  for (const [text, peer, expected] of cases) {
    const config = load(text);
    const { trusted, loopbackByDefault } = effectiveTrustedClients(auth(config), config.server);
    assert.equal(trusted.contains(peer), expected, `${JSON.stringify(text)} ${peer}`);
    assert.equal(loopbackByDefault, text === VK, JSON.stringify(text));
  }
});
