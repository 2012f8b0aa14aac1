// What trusted_clients and cors_domains accept, what they refuse (naming the entry), and how a
// CORS pattern matches an Origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrustedNetwork, TrustedClients } from '../../src/shared/trustedClients.js';
import { CorsPolicy, parseCorsDomain, originHost, hostHeaderHost } from '../../src/shared/corsPolicy.js';

test('trusted_clients entries: addresses and CIDR networks of both families', () => {
  assert.deepEqual(parseTrustedNetwork('192.168.1.0/24'), { entry: '192.168.1.0/24', family: 'ipv4', address: '192.168.1.0', prefix: 24 });
  assert.deepEqual(parseTrustedNetwork(' 10.1.2.3 '), { entry: '10.1.2.3', family: 'ipv4', address: '10.1.2.3', prefix: 32 });
  assert.deepEqual(parseTrustedNetwork('::1'), { entry: '::1', family: 'ipv6', address: '::1', prefix: 128 });
  assert.deepEqual(parseTrustedNetwork('FE80::/10'), { entry: 'FE80::/10', family: 'ipv6', address: 'FE80::', prefix: 10 });
  assert.equal(parseTrustedNetwork('0.0.0.0/0').prefix, 0);
});

test('trusted_clients entries that are not addresses or networks are refused by name', () => {
  for (const bad of ['printer.lan', '192.168.1.300', '10.0.0.0/33', '::1/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '1.2.3', 'fe80::1%eth0', '*', '']) {
    assert.throws(() => parseTrustedNetwork(bad), (e: Error) => e.message.includes(`"${bad}"`), bad);
  }
});

test('a network with host bits set covers its whole network', () => {
  const t = TrustedClients.parse(['192.168.1.77/24']);
  assert.equal(t.contains('192.168.1.1'), true);
  assert.equal(t.contains('192.168.2.1'), false);
  assert.equal(TrustedClients.parse([]).contains('127.0.0.1'), false);
  assert.equal(TrustedClients.parse(['127.0.0.0/8']).contains('not an address'), false);
});

test('cors_domains: valid patterns are kept (lowercased)', () => {
  for (const ok of ['*', '*.local', 'http://my.printer.lan:*', 'https://app.fluidd.xyz', '*://my.mainsail.xyz', 'http://localhost*', 'http://192.168.1.2:8080', 'http://[fe80::1]:*']) {
    assert.equal(parseCorsDomain(ok), ok.toLowerCase(), ok);
  }
  assert.equal(parseCorsDomain('HTTP://Printer.LAN'), 'http://printer.lan');
});

test('cors_domains: invalid patterns are refused by name', () => {
  for (const bad of ['http://printer.lan/', 'http://printer.lan/ui', 'printer.lan', 'http://printer.*', 'http://*', 'http://printer.lan:80a', 'http://my printer', 'ht tp://x.y', 'http://', 'http://[fe80::1', 'http://a_b!.lan']) {
    assert.throws(() => parseCorsDomain(bad), (e: Error) => e.message.includes(`"${bad}"`), bad);
  }
});

test('CORS patterns match whole origins, * spanning any characters', () => {
  const p = new CorsPolicy(['*.local', 'http://my.printer.lan:*', 'https://app.fluidd.xyz', 'http://localhost*'].map(parseCorsDomain));
  const yes = ['http://printer.local', 'https://a.b.local', 'http://my.printer.lan:8080', 'https://app.fluidd.xyz', 'http://localhost:3000', 'HTTP://PRINTER.LOCAL'];
  const no = [
    'http://printer.local:8080', // *.local names no port
    'http://printer.localhost',
    'http://my.printer.lan', // the pattern asks for a port
    'http://app.fluidd.xyz', // other scheme
    'https://app.fluidd.xyz.evil.com',
    'https://evilapp.fluidd.xyz',
    'null',
    'http://printer.local/',
    '',
  ];
  for (const o of yes) assert.equal(p.allows(o), true, o);
  for (const o of no) assert.equal(p.allows(o), false, o);
  assert.equal(p.allows(undefined), false);
  assert.equal(p.enabled, true);
  assert.equal(new CorsPolicy([]).enabled, false);
  assert.equal(new CorsPolicy([]).allows('http://a.b'), false);
});

test('"*" in cors_domains or enable_cors allows every origin', () => {
  assert.equal(new CorsPolicy(['*']).allows('http://anything.example:1'), true);
  assert.equal(new CorsPolicy([], true).allows('https://x.y'), true);
  assert.equal(new CorsPolicy([], true).describe(), 'every origin');
});

test('origin and Host header hosts', () => {
  assert.equal(originHost('http://printer.lan:7125'), 'printer.lan:7125');
  assert.equal(originHost('https://printer.lan:443'), 'printer.lan');
  assert.equal(originHost('null'), undefined);
  assert.equal(hostHeaderHost('Printer.lan:80'), 'printer.lan');
  assert.equal(hostHeaderHost('[::1]:7125'), '[::1]:7125');
  assert.equal(hostHeaderHost(undefined), undefined);
  assert.equal(hostHeaderHost('a/b'), undefined);
});
