// The authorization decision as a table: facts about one request in, allow (and by which rule)
// or 401 out. Then the websocket Origin rule, also as a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changesState, decide, decideBrowserRequest, sameSecret, type RequestFacts } from '../../src/components/authorization/authDecision.js';
import { ServerNames } from '../../src/components/authorization/serverNames.js';
import { TrustedClients } from '../../src/shared/trustedClients.js';
import { CorsPolicy, parseCorsDomain } from '../../src/shared/corsPolicy.js';

const KEY = '0123456789abcdef0123456789abcdef';
const TOKEN = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const REMOTE = '192.168.1.50';

const base: RequestFacts = {
  enabled: true,
  publicEndpoint: false,
  clientAddress: REMOTE,
  trustedClients: TrustedClients.parse([]),
  apiKeyHeader: undefined,
  currentApiKey: KEY,
  token: undefined,
  tokenIssuedTo: undefined,
};

type Row = [name: string, facts: Partial<RequestFacts> & { trusted?: string[] }, expected: string];

// expected: the rule that allows, or "401".
const TABLE: Row[] = [
  ['no credentials', {}, '401'],
  ['authorization disabled, no credentials', { enabled: false }, 'disabled'],
  ['disabled wins over a wrong key', { enabled: false, apiKeyHeader: 'wrong' }, 'disabled'],
  ['public endpoint, no credentials', { publicEndpoint: true }, 'public'],
  ['right key', { apiKeyHeader: KEY }, 'api_key'],
  ['wrong key', { apiKeyHeader: 'f'.repeat(32) }, '401'],
  ['key of another length', { apiKeyHeader: KEY + 'x' }, '401'],
  ['empty key header', { apiKeyHeader: '' }, '401'],
  ['key in other case', { apiKeyHeader: KEY.toUpperCase() }, '401'],
  ['live token issued to this address', { token: TOKEN, tokenIssuedTo: REMOTE }, 'oneshot_token'],
  ['live token issued to another address', { token: TOKEN, tokenIssuedTo: '192.168.1.51' }, '401'],
  ['unknown, used or expired token', { token: TOKEN, tokenIssuedTo: undefined }, '401'],
  ['empty token (KlipperScreen) is no token', { token: '' }, '401'],
  ['empty token with the right key', { token: '', apiKeyHeader: KEY }, 'api_key'],
  ['wrong key, live token: the token lets it in', { apiKeyHeader: 'wrong', token: TOKEN, tokenIssuedTo: REMOTE }, 'oneshot_token'],
  ['right key and live token: the key, the token is not spent', { apiKeyHeader: KEY, token: TOKEN, tokenIssuedTo: REMOTE }, 'api_key'],
  ['trusted IPv4 network', { trusted: ['192.168.1.0/24'] }, 'trusted'],
  ['trusted single IPv4 address', { trusted: ['192.168.1.50'] }, 'trusted'],
  ['outside the trusted network', { trusted: ['192.168.2.0/24'] }, '401'],
  ['trusted, token not spent', { trusted: ['192.168.1.0/24'], token: TOKEN, tokenIssuedTo: REMOTE }, 'trusted'],
  ['IPv4-mapped IPv6 peer in a trusted IPv4 network', { trusted: ['192.168.0.0/16'], clientAddress: '::ffff:192.168.1.50' }, 'trusted'],
  ['loopback is not trusted unless listed', { clientAddress: '127.0.0.1' }, '401'],
  ['::1 is not trusted unless listed', { clientAddress: '::1' }, '401'],
  ['127.0.0.0/8 covers 127.1.2.3', { trusted: ['127.0.0.0/8'], clientAddress: '127.1.2.3' }, 'trusted'],
  ['::1 trusted', { trusted: ['::1'], clientAddress: '::1' }, 'trusted'],
  ['IPv6 network', { trusted: ['fe80::/10'], clientAddress: 'fe80::1234:5678' }, 'trusted'],
  ['IPv6 outside the network', { trusted: ['fe80::/10'], clientAddress: 'fd00::1' }, '401'],
  ['an IPv4 network does not cover IPv6 peers', { trusted: ['0.0.0.0/0'], clientAddress: '::1' }, '401'],
  ['0.0.0.0/0 covers every IPv4 peer', { trusted: ['0.0.0.0/0'] }, 'trusted'],
  ['comma list, second entry', { trusted: ['10.0.0.0/8', '192.168.1.0/24'] }, 'trusted'],
  ['no address (socket gone)', { trusted: ['0.0.0.0/0'], clientAddress: '' }, '401'],
];

for (const [name, row, expected] of TABLE) {
  test(`decide: ${name} → ${expected}`, () => {
    const { trusted, ...facts } = row;
    const d = decide({ ...base, ...facts, ...(trusted ? { trustedClients: TrustedClients.parse(trusted) } : {}) });
    if (expected === '401') {
      assert.deepEqual(d, { allow: false, kind: 'unauthorized', message: 'Unauthorized' });
    } else {
      assert.equal(d.allow, true);
      assert.equal(d.allow && d.via, expected);
      if (d.allow && d.via === 'oneshot_token') assert.equal(d.redeem, TOKEN);
    }
  });
}

test('sameSecret compares whole strings', () => {
  assert.equal(sameSecret(KEY, KEY), true);
  assert.equal(sameSecret(KEY.slice(0, -1), KEY), false);
  assert.equal(sameSecret('', KEY), false);
  assert.equal(sameSecret(KEY.slice(0, -1) + 'g', KEY), false);
});

const cors = (domains: string[], enableCors = false) => new CorsPolicy(domains.map(parseCorsDomain), enableCors);

// A server named printer.lan (its machine's host name "printer" with the domain "lan").
const names = new ServerNames([], 'printer.lan');
const isOwnName = (n: string) => names.has(n);

type OriginRow = [name: string, method: string, origin: string | undefined, host: string | undefined, policy: CorsPolicy, expected: string];
const ORIGINS: OriginRow[] = [
  ['no Origin: not a browser', 'POST', undefined, 'printer.lan:7125', cors([]), 'not-browser'],
  ['no Origin, any Host: not a browser', 'POST', undefined, 'rebind.evil:7125', cors([]), 'not-browser'],
  ['page from this very host and port', 'UPGRADE', 'http://printer.lan:7125', 'printer.lan:7125', cors([]), 'same-origin'],
  ['same host, https page behind a proxy', 'POST', 'https://printer.lan', 'printer.lan', cors([]), 'same-origin'],
  ['host compared without case', 'POST', 'http://Printer.LAN:7125', 'printer.lan:7125', cors([]), 'same-origin'],
  ['default port written out in Host', 'POST', 'http://printer.lan', 'printer.lan:80', cors([]), 'same-origin'],
  ['same host, other port, no CORS', 'POST', 'http://printer.lan', 'printer.lan:7125', cors([]), 'Origin not allowed'],
  ['foreign site', 'UPGRADE', 'http://evil.example', 'printer.lan:7125', cors([]), 'Origin not allowed'],
  ['foreign site, text/plain POST', 'POST', 'http://evil.example', '127.0.0.1:7125', cors([]), 'Origin not allowed'],
  ['foreign site, DELETE', 'DELETE', 'http://evil.example', 'localhost:7125', cors([]), 'Origin not allowed'],
  ['foreign site, GET: it cannot read the answer', 'GET', 'http://evil.example', 'localhost:7125', cors([]), 'read-only'],
  ['foreign site allowed by pattern', 'POST', 'http://ui.local', 'printer.lan:7125', cors(['*.local']), 'cors'],
  ['foreign site not matching the pattern', 'POST', 'http://ui.lan', 'printer.lan:7125', cors(['*.local']), 'Origin not allowed'],
  ['enable_cors allows every origin', 'UPGRADE', 'http://evil.example', 'printer.lan:7125', cors([], true), 'cors'],
  ['"null" origin (sandboxed page) refused', 'POST', 'null', 'printer.lan:7125', cors(['*.local']), 'Origin not allowed'],
  ['no Host header, foreign page', 'POST', 'http://a.b', undefined, cors([]), 'Host not allowed'],
  ['DNS rebinding: Origin matches a foreign Host', 'POST', 'http://rebind.evil:7125', 'rebind.evil:7125', cors([]), 'Host not allowed'],
  ['DNS rebinding, websocket', 'UPGRADE', 'http://rebind.evil:7125', 'rebind.evil:7125', cors([]), 'Host not allowed'],
  ['DNS rebinding, same-origin GET (fetch metadata only)', 'GET', undefined, 'rebind.evil:7125', cors([]), 'Host not allowed'],
  ['an IP address as Host is never a rebound name', 'POST', 'http://192.168.1.20:7125', '192.168.1.20:7125', cors([]), 'same-origin'],
  ['IPv6 literal Host', 'POST', 'http://[fe80::1]:7125', '[fe80::1]:7125', cors([]), 'same-origin'],
  ['localhost', 'POST', 'http://localhost:7125', 'localhost:7125', cors([]), 'same-origin'],
  ['mDNS name of the machine', 'POST', 'http://printer.local:7125', 'printer.local:7125', cors([]), 'same-origin'],
  ['short host name', 'UPGRADE', 'http://printer:7125', 'printer:7125', cors([]), 'same-origin'],
  ['a name cors_domains lists', 'POST', 'http://my.printer.example:7125', 'my.printer.example:7125', cors(['http://my.printer.example:*']), 'same-origin'],
  ['a name cors_domains lists, UI on another port', 'POST', 'http://my.printer.example', 'my.printer.example:7125', cors(['http://my.printer.example']), 'cors'],
  ['cross-site fetch metadata without Origin, POST', 'POST', undefined, 'localhost:7125', cors([]), 'Origin not allowed'],
  ['same-origin fetch metadata without Origin, POST', 'POST', undefined, 'localhost:7125', cors([]), 'same-origin'],
];
for (const [name, method, origin, host, policy, expected] of ORIGINS) {
  test(`decideBrowserRequest: ${name} → ${expected}`, () => {
    const secFetchSite = origin !== undefined ? undefined : name.includes('cross-site') ? 'cross-site' : name.includes('fetch metadata') ? 'same-origin' : undefined;
    const d = decideBrowserRequest({ changesState: changesState(method, false), origin, secFetchSite, host, cors: policy, isOwnName });
    if (/not allowed/.test(expected)) assert.deepEqual(d, { allow: false, kind: 'forbidden', message: expected });
    else assert.deepEqual(d, { allow: true, via: expected });
  });
}

test('changesState: every method but GET, HEAD, OPTIONS; GET too where the endpoint takes writes', () => {
  for (const m of ['POST', 'DELETE', 'PUT', 'PATCH', 'UPGRADE', 'post']) assert.equal(changesState(m, false), true, m);
  for (const m of ['GET', 'HEAD', 'OPTIONS', 'get']) assert.equal(changesState(m, false), false, m);
  assert.equal(changesState('GET', true), true, 'GET /printer/gcode/script runs gcode');
  assert.equal(changesState('HEAD', true), true);
  assert.equal(changesState('OPTIONS', true), false, 'a preflight only asks');
});
