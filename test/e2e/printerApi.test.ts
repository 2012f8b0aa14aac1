// The spec's printer endpoints over both transports, against the virtual Klippy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';

let s: Stack;
let ws: RpcClient;

before(async () => {
  s = await startStack();
  await s.waitReady();
  ws = await s.ws();
});
after(() => s.close());

const INFO_FIELDS = ['state', 'state_message', 'hostname', 'software_version', 'cpu_info', 'klipper_path', 'python_path', 'log_file', 'config_file'];

test('printer.info: HTTP and websocket give the spec fields with state ready', async () => {
  const http = await s.http('GET', '/printer/info');
  assert.equal(http.status, 200);
  for (const f of INFO_FIELDS) assert.ok(f in http.body.result, `missing ${f}`);
  assert.equal(http.body.result.state, 'ready');
  const viaWs = await ws.call('printer.info');
  assert.equal(viaWs.state, 'ready');
  assert.equal(typeof viaWs.state_message, 'string');
  // Today's clients POST it too.
  assert.equal((await s.http('POST', '/printer/info')).body.result.state, 'ready');
});

test('printer.objects.list names the objects clients subscribe to', async () => {
  const { objects } = (await s.http('GET', '/printer/objects/list')).body.result;
  for (const o of ['webhooks', 'toolhead', 'gcode_move', 'extruder', 'heater_bed', 'print_stats', 'virtual_sdcard', 'display_status']) {
    assert.ok(objects.includes(o), `missing ${o}`);
  }
  assert.deepEqual((await ws.call('printer.objects.list')).objects, objects);
});

test('printer.objects.query: the spec query string and the params form', async () => {
  const r = (await s.http('GET', '/printer/objects/query?gcode_move=gcode_position,speed&toolhead&extruder=target')).body.result;
  assert.equal(typeof r.eventtime, 'number');
  assert.deepEqual(Object.keys(r.status.gcode_move).sort(), ['gcode_position', 'speed']);
  assert.ok(Array.isArray(r.status.toolhead.position) && 'homed_axes' in r.status.toolhead, 'bare key = all fields');
  assert.deepEqual(Object.keys(r.status.extruder), ['target']);
  const w = await ws.call('printer.objects.query', { objects: { toolhead: ['position', 'nonexistent'], extruder: [] } });
  assert.deepEqual(Object.keys(w.status.toolhead).sort(), ['nonexistent', 'position']);
  assert.equal(w.status.toolhead.nonexistent, null);
  assert.ok('temperature' in w.status.extruder && 'target' in w.status.extruder, '[] = all fields, as the spec says');
});

test('printer.gcode.script runs gcode; output arrives as notify_gcode_response', async () => {
  const since = ws.notifications.length;
  assert.equal(await ws.call('printer.gcode.script', { script: 'RESPOND MSG=hello-ws' }), 'ok');
  await ws.waitFor('notify_gcode_response', (p) => String(p?.[0]).includes('hello-ws'), 5000, since);
  const http = await s.http('POST', '/printer/gcode/script?script=' + encodeURIComponent('RESPOND MSG=hello-http'));
  assert.deepEqual(http.body, { result: 'ok' });
  await ws.waitFor('notify_gcode_response', (p) => String(p?.[0]).includes('hello-http'), 5000, since);
  // FDM Monster sends it with GET.
  assert.equal((await s.http('GET', '/printer/gcode/script?script=M117%20hi')).status, 200);
});

test('a failing gcode is a 400 over HTTP and error code 400 over the websocket, with Klippy\'s text', async () => {
  await ws.call('printer.gcode.script', { script: 'M84' });
  const http = await s.http('POST', '/printer/gcode/script?script=G1%20X10');
  assert.equal(http.status, 400);
  assert.match(http.body.error.message, /Must home axis first/);
  await assert.rejects(ws.call('printer.gcode.script', { script: 'G1 X10' }), (e: unknown) => {
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, 400);
    assert.match(e.message, /Must home axis first/);
    return true;
  });
});

test('an unknown gcode is not an error: Klippy answers it as output', async () => {
  const since = ws.notifications.length;
  assert.equal(await ws.call('printer.gcode.script', { script: 'FROBNICATE' }), 'ok');
  await ws.waitFor('notify_gcode_response', (p) => String(p?.[0]).includes('Unknown command') && String(p?.[0]).includes('FROBNICATE'), 5000, since);
});

test('printer.gcode.help and printer.query_endstops.status', async () => {
  const help = (await s.http('GET', '/printer/gcode/help')).body.result;
  assert.equal(typeof help, 'object');
  assert.ok(Object.keys(help).length > 5);
  for (const v of Object.values(help)) assert.equal(typeof v, 'string');
  const endstops = await ws.call('printer.query_endstops.status');
  for (const axis of ['stepper_x', 'stepper_y', 'stepper_z']) assert.match(endstops[axis], /^(open|TRIGGERED)$/);
});

test('missing and mistyped arguments are invalid params; unknown paths and methods are 404 / -32601', async () => {
  const http = await s.http('POST', '/printer/gcode/script');
  assert.equal(http.status, 400);
  assert.match(http.body.error.message, /Missing argument "script"/);
  await assert.rejects(ws.call('printer.gcode.script', {}), (e: unknown) => e instanceof RpcError && e.code === -32602);
  await assert.rejects(ws.call('printer.objects.query', { objects: 'toolhead' }), (e: unknown) => e instanceof RpcError && e.code === -32602);
  const missing = await s.http('GET', '/printer/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 404);
  await assert.rejects(ws.call('printer.nope'), (e: unknown) => e instanceof RpcError && e.code === -32601);
});

test('a malformed JSON body is a 400 JSON error, not a crash', async () => {
  const res = await fetch(s.url + '/printer/gcode/script', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"script":' });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /Malformed JSON/);
});
