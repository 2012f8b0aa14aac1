// Issue 12, fault 6: a web page in the user's browser may not drive the printer. The server
// trusts loopback (as `npm start` does), so the browser's requests would pass the credential
// check on their own: a foreign page's simple cross-site POST (text/plain, no preflight) and a
// page whose name was re-pointed at the printer (DNS rebinding, Origin and Host both the
// attacker's) must be refused before that check, while same-origin pages, origins cors_domains
// allows and clients that are not browsers keep working. Requests are made with node:http so
// that Host and Origin are exactly what a browser would send.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startStack, type Stack } from '../helpers/testStack.js';

let s: Stack;
let port: number;

before(async () => {
  s = await startStack({ authorizationConfig: 'cors_domains:\n  http://ui.example\n' });
  await s.waitReady();
  port = Number(new URL(s.url).port);
});
after(() => s.close());

interface Reply {
  status: number;
  body: string;
}

function send(method: string, path: string, headers: Record<string, string>, body = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(s.wsUrl, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** Every gcode command the server sent Klippy, from its console store. */
const commandsSent = async () =>
  ((await s.http('GET', '/server/gcode_store?count=1000')).body.result.gcode_store as Array<{ message: string; type: string }>)
    .filter((e) => e.type === 'command')
    .map((e) => e.message);

/** Waits for the extruder target Klippy reports (it follows on Klippy's next status tick). */
async function targetBecomes(value: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await s.http('GET', '/printer/objects/query?extruder=target')).body.result.status.extruder.target === value) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`extruder target never became ${value}`);
}

/** A form-encoded or text/plain POST a page on another site can make without a preflight. */
const gcodePost = (temp: number, headers: Record<string, string>) =>
  send('POST', `/printer/gcode/script?script=${encodeURIComponent(`M104 S${temp}`)}`, { 'Content-Type': 'text/plain', ...headers }, 'x');

test('a simple cross-site POST from a foreign page is 403 and runs no gcode', async () => {
  for (const origin of ['http://evil.example', 'null', 'https://evil.example:7125']) {
    const r = await gcodePost(111, { Origin: origin, Host: `127.0.0.1:${port}`, 'Sec-Fetch-Site': 'cross-site' });
    assert.equal(r.status, 403, origin);
    assert.deepEqual(JSON.parse(r.body), { error: { code: 403, message: 'Origin not allowed' } });
  }
  // Older browsers may send fetch metadata without Origin: cross-site is enough to refuse.
  assert.equal((await gcodePost(111, { Host: `localhost:${port}`, 'Sec-Fetch-Site': 'cross-site' })).status, 403);
  // A DELETE, a JSON POST (which would need a preflight, but the rule does not rely on it).
  assert.equal((await send('DELETE', '/server/files/gcodes/x.gcode', { Origin: 'http://evil.example', Host: `127.0.0.1:${port}` })).status, 403);
  assert.equal(
    (await send('POST', '/printer/gcode/script', { Origin: 'http://evil.example', Host: `127.0.0.1:${port}`, 'Content-Type': 'application/json' }, '{"script":"M104 S111"}')).status,
    403,
  );
  // GET /printer/gcode/script runs gcode too (FDM Monster calls it so), and an <img> or a link
  // on any site sends a GET with no Origin, only fetch metadata.
  const img = await send('GET', `/printer/gcode/script?script=${encodeURIComponent('M104 S111')}`, {
    Host: `127.0.0.1:${port}`,
    'Sec-Fetch-Site': 'cross-site',
    'Sec-Fetch-Mode': 'no-cors',
    'Sec-Fetch-Dest': 'image',
  });
  assert.equal(img.status, 403);
  assert.equal((await send('GET', `/printer/gcode/script?script=M104%20S111`, { Origin: 'http://evil.example', Host: `localhost:${port}` })).status, 403);
  // HEAD is as simple as GET (fetch(url, {method: 'HEAD', mode: 'no-cors'})) and express serves
  // it with the GET route: it is a write wherever GET is.
  assert.equal((await send('HEAD', `/printer/gcode/script?script=M104%20S111`, { Origin: 'http://evil.example', Host: `localhost:${port}` })).status, 403);
  assert.deepEqual((await commandsSent()).filter((c) => c.includes('S111')), [], 'no gcode ran');
});

test('DNS rebinding: a page whose name points here is refused, whatever it asks', async () => {
  const evil = { Host: `rebind.evil:${port}`, Origin: `http://rebind.evil:${port}` };
  const post = await gcodePost(112, evil);
  assert.equal(post.status, 403);
  assert.deepEqual(JSON.parse(post.body), { error: { code: 403, message: 'Host not allowed' } });
  // A same-origin GET carries no Origin, only fetch metadata: reading the API key is refused too.
  const key = await send('GET', '/access/api_key', { Host: `rebind.evil:${port}`, 'Sec-Fetch-Site': 'same-origin' });
  assert.equal(key.status, 403);
  assert.doesNotMatch(key.body, /result/);
  assert.equal(await upgradeStatus(evil), 403);
  assert.deepEqual((await commandsSent()).filter((c) => c.includes('S112')), [], 'no gcode ran');
});

test('same-origin pages, allowed origins and clients that are no browsers keep working', async () => {
  // The page served by this host (by address, by localhost), as a browser sends it.
  assert.equal((await gcodePost(120, { Origin: `http://127.0.0.1:${port}`, Host: `127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin' })).status, 200);
  await targetBecomes(120);
  assert.ok((await commandsSent()).includes('M104 S120'), 'the console store sees commands the API sends');
  assert.equal((await gcodePost(121, { Origin: `http://localhost:${port}`, Host: `localhost:${port}` })).status, 200);
  await targetBecomes(121);
  // An origin cors_domains allows, and the name it lists as Host.
  assert.equal((await gcodePost(122, { Origin: 'http://ui.example', Host: `127.0.0.1:${port}` })).status, 200);
  await targetBecomes(122);
  // The name cors_domains lists is one of ours: its pages on our own port are same-origin.
  assert.equal((await gcodePost(123, { Origin: `http://ui.example:${port}`, Host: `ui.example:${port}` })).status, 200);
  assert.equal((await gcodePost(124, { Origin: 'http://ui.example', Host: `ui.example:${port}` })).status, 200);
  await targetBecomes(124);
  // curl, KlipperScreen, scripts, FDM Monster's GET: no Origin, no fetch metadata, any Host.
  assert.equal((await gcodePost(125, { Host: `some.proxy.name:${port}` })).status, 200);
  await targetBecomes(125);
  assert.equal((await send('GET', '/printer/gcode/script?script=M104%20S126', { Host: `some.proxy.name:${port}` })).status, 200);
  await targetBecomes(126);
  // A user who types the URL into the address bar (fetch metadata "none").
  assert.equal((await send('GET', '/printer/gcode/script?script=M104%20S127', { Host: `localhost:${port}`, 'Sec-Fetch-Site': 'none' })).status, 200);
  await targetBecomes(127);
  // A foreign page may still GET a read-only endpoint (it cannot read the answer without CORS
  // headers); one that also takes POST counts as a write.
  assert.equal((await send('GET', '/server/info', { Origin: 'http://evil.example', Host: `127.0.0.1:${port}` })).status, 200);
  assert.equal((await send('GET', '/printer/info', { Origin: 'http://evil.example', Host: `127.0.0.1:${port}` })).status, 403);
  // Websockets: same origin, allowed origin, no origin.
  assert.equal(await upgradeStatus({ Origin: `http://localhost:${port}`, Host: `localhost:${port}` }), 101);
  assert.equal(await upgradeStatus({ Origin: 'http://ui.example' }), 101);
  assert.equal(await upgradeStatus({}), 101);
  assert.equal(await upgradeStatus({ Origin: 'http://evil.example' }), 403);
  await s.http('POST', '/printer/gcode/script', { script: 'M104 S0' });
});
