// FDM Monster 2.1.1 replayed (reference/clients.md 3 and "Observed with FDM Monster"): HTTP for
// everything, the websocket only for notifications, its subscription bound to that websocket
// with connection_id; each reply checked for the fields it reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Stack } from '../../helpers/testStack.js';
import { multipart, rawRequest } from '../../helpers/fileClient.js';
import { assertFields, identify, startClientStack, type J } from '../../helpers/clientReplay.js';

let s: Stack;

before(async () => {
  // FDM Monster speaks OctoPrint's /api/version first: its users enable [octoprint_compat], as with Moonraker.
  s = await startClientStack('[octoprint_compat]\n');
});
after(() => s.close());

const OBJECTS = 'pause_resume&idle_timeout&print_stats&heaters&heater_bed&extruder&display_status&webhooks&virtual_sdcard&gcode_move&stepper_enable&fan&motion_report&system_stats';

test('FDM Monster: version check, bound subscription, polling, files and a print over HTTP', async () => {
  const version = await s.http('GET', '/api/version');
  assert.equal(version.status, 200, 'without it the printer reads as unreachable');
  assertFields(version.body, { api: 'string', server: 'string', text: 'string' }, '/api/version');

  const ws = await s.ws();
  const started = Date.now();
  const id = await identify(ws, 'FDM Monster', 'other', '2.1.1');
  assert.ok(Date.now() - started < 3000, 'the identify reply must come within 3 s');
  const sub = await s.http('POST', `/printer/objects/subscribe?connection_id=${id}&${OBJECTS}`);
  assert.equal(sub.status, 200);
  assertFields(sub.body.result, { eventtime: 'number', 'status.webhooks.state': 'string', 'status.print_stats.state': 'string', 'status.idle_timeout.state': 'string', 'status.display_status': 'object' }, 'subscribe');
  // It counts the socket as live only once a first notification arrives.
  await ws.waitFor('notify_proc_stat_update', () => true, 3000);

  const query = await s.http('GET', `/printer/objects/query?${OBJECTS}`);
  assertFields(query.body.result, { 'status.webhooks.state': 'string', 'status.print_stats.state': 'string', 'status.idle_timeout.state': 'string', 'status.display_status.message': 'defined', 'status.heaters.available_heaters': 'array' }, 'query');
  assert.equal(query.body.result.status.webhooks.state, 'ready');
  assert.equal(query.body.result.status.print_stats.state, 'standby');

  // Upload: only a `file` part, with an explicit Content-Length.
  const content = ['G28', 'G90', ...Array.from({ length: 40 }, (_, i) => `G1 X${i % 2 === 0 ? 110 : 10} Y50 F600`)].join('\n') + '\n';
  const { body, contentType } = multipart([{ name: 'file', value: content, filename: 'farm.gcode' }]);
  const up = await rawRequest(s.url, 'POST', '/server/files/upload', { 'content-type': contentType, 'content-length': body.length }, body);
  assert.equal(up.status, 201);
  assertFields(up.json, { 'item.path': 'string', 'item.root': 'string' }, 'upload');

  const dir = await s.http('GET', '/server/files/directory?path=gcodes&extended=false');
  assertFields(dir.body.result, { 'files[].filename': 'string', 'files[].size': 'number', 'files[].modified': 'number', 'dirs[].dirname': 'string' }, 'directory');
  assert.ok((dir.body.result.files as J[]).some((f) => f.filename === 'farm.gcode'));
  assertFields((await s.http('GET', '/server/files/list?root=gcodes')).body.result, { '[].path': 'string', '[].modified': 'number' }, 'list');
  assertFields((await s.http('GET', '/server/files/metadata?filename=farm.gcode')).body.result, { filename: 'string', size: 'number', modified: 'number' }, 'metadata');
  const whole = await rawRequest(s.url, 'GET', '/server/files/gcodes/farm.gcode');
  assert.equal(whole.text, content, 'download round-trips the bytes');
  const part = await rawRequest(s.url, 'GET', '/server/files/gcodes/farm.gcode', { Range: 'bytes=0-3' });
  assert.equal(part.status, 206);
  assert.equal(part.text, 'G28\n');
  assertFields((await s.http('GET', '/server/config')).body.result, { config: 'object' }, 'config');

  // A print, driven over HTTP; changes arrive on the bound websocket as [status, eventtime].
  const since = ws.notifications.length;
  assert.equal((await s.http('GET', '/printer/gcode/script?script=M117%20farm')).status, 200, 'gcode over GET');
  assert.equal((await s.http('POST', '/printer/print/start?filename=farm.gcode')).status, 200);
  const printing = await ws.waitFor('notify_status_update', (p) => (p?.[0] as J)?.print_stats?.state === 'printing', 10_000, since);
  assert.equal(typeof printing.params![1], 'number');
  await ws.waitFor('notify_status_update', (p) => (p?.[0] as J)?.display_status?.message === 'farm', 5000, since);
  assert.equal((await s.http('POST', '/printer/print/pause')).status, 200);
  await ws.waitFor('notify_status_update', (p) => (p?.[0] as J)?.print_stats?.state === 'paused', 10_000, since);
  assert.equal((await s.http('POST', '/printer/print/cancel')).status, 200);
  await ws.waitFor('notify_status_update', (p) => (p?.[0] as J)?.print_stats?.state === 'cancelled', 10_000, since);
  const history = await s.http('GET', '/server/history/list?limit=5&start=0&order=desc');
  assertFields(history.body.result, { count: 'number', 'jobs[].filename': 'string', 'jobs[].status': 'string' }, 'history');

  const del = await s.http('DELETE', '/server/files/gcodes/farm.gcode');
  assertFields(del.body.result, { 'item.path': 'string', action: 'string' }, 'delete');
  assert.equal((await s.http('POST', '/server/files/directory?path=gcodes/old')).status, 200);
  assertFields((await s.http('DELETE', '/server/files/directory?path=gcodes/old&force=true')).body.result, { 'item.path': 'string', action: 'string' }, 'delete directory');
});
