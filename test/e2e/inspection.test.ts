// /debug/inspect and /debug/inspector: a print with a pause driven over the real API against the
// virtual Klippy, seen as the machines' exact transitions on the inspection websocket; and both
// paths absent when inspection is off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MACHINES } from '../../src/machines/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcClient } from '../helpers/rpcClient.js';
import { InspectClient } from '../helpers/inspectClient.js';
import type { ActorMessage, EventMessage, HelloMessage } from '../../src/actors/inspection.actor.js';

/** Each line is a 200 mm move at 50 mm/s: 4 s simulated, 80 ms at time scale 50. */
function slowFile(lines: number): string {
  const out = ['G28', 'G90', 'M83'];
  for (let i = 0; i < lines; i++) out.push(`G1 X${i % 2 ? 20 : 220} Y50 E1 F3000`);
  return `${out.join('\n')}\n`;
}

const path = (m: { from: string | null; to: string }) => `${m.from} -> ${m.to}`;

let s: Stack;
let off: Stack;

before(async () => {
  [s, off] = await Promise.all([startStack({ timeScale: 50, extraConfig: 'enable_inspection: true\n' }), startStack()]);
  await Promise.all([s.waitReady(), off.waitReady()]);
});
after(() => Promise.all([s.close(), off.close()]));

test('on connect: hello, then every live actor with its state now', async () => {
  const ic = await InspectClient.connect(s.url);
  try {
    const hello = await ic.waitFor<HelloMessage>((m) => m.type === 'hello', 'hello');
    assert.equal(ic.messages[0], hello, 'hello comes first');
    assert.equal(hello.protocol, 1);
    assert.deepEqual(hello.machines, MACHINES.map((m) => m.id), 'every machine of src/machines is announced');
    const kc = await ic.waitFor<ActorMessage>((m) => m.type === 'actor' && m.machine === 'klippyConnection', 'klippyConnection actor');
    assert.equal(kc.status, 'active');
    assert.equal(kc.state, 'connected.ready');
    assert.deepEqual(kc.states, ['klippyConnection.connected', 'klippyConnection.connected.ready']);
    assert.equal(kc.actorId, 'klippyConnection:1');
    assert.equal((kc.context as { klippyState: string }).klippyState, 'ready');
    const pj = await ic.waitFor<ActorMessage>((m) => m.type === 'actor' && m.machine === 'printJob', 'printJob actor');
    assert.equal(pj.state, 'standby');
    assert.deepEqual(pj.states, ['printJob.standby']);
    assert.deepEqual(pj.context, { job: null });
    const ss = await ic.waitFor<ActorMessage>((m) => m.type === 'actor' && m.machine === 'statusSubscription', 'statusSubscription actor');
    assert.equal(ss.status, 'active');
    assert.match(ss.state, /^active\.(fresh|stale)$/);
  } finally {
    await ic.close();
  }
});

test('a print with a pause, then a Klippy restart, as exact transitions in order', async () => {
  const ic = await InspectClient.connect(s.url);
  const rpc = await s.ws();
  try {
    await ic.waitFor((m) => m.type === 'actor' && m.machine === 'printJob', 'printJob actor');
    writeFileSync(join(s.gcodesPath, 'inspect.gcode'), slowFile(40));
    await rpc.call('printer.gcode.script', { script: 'M109 S200\nSDCARD_PRINT_FILE FILENAME=inspect.gcode' });
    await ic.waitTransition('printJob', 'printing');
    await rpc.call('printer.gcode.script', { script: 'PAUSE' });
    await ic.waitTransition('printJob', 'paused');
    await rpc.call('printer.gcode.script', { script: 'RESUME' });
    const paused = ic.messages.findIndex((m) => m.type === 'transition' && m.to === 'paused');
    await ic.waitTransition('printJob', 'printing', paused);
    await ic.waitTransition('printJob', 'complete', paused, 30_000);

    const job = ic.transitions('printJob');
    assert.deepEqual(job.map(path), ['standby -> printing', 'printing -> paused', 'paused -> printing', 'printing -> complete']);
    assert.ok(job.every((t) => t.event === 'PRINT_STATS' && t.actorId === 'printJob:1'));
    assert.deepEqual(job[0]!.actions, ['beginJob', 'announceStarted']);
    assert.deepEqual(job[3]!.states, ['printJob.complete']);
    assert.ok(job.every((t, i) => i === 0 || t.at >= job[i - 1]!.at), 'in time order');
    // The events that drove them arrive too, each before its transition, with its payload.
    const started = ic.messages.findIndex((m) => m.type === 'transition' && m.machine === 'printJob');
    const driver = ic.messages.slice(0, started).reverse().find((m): m is EventMessage => m.type === 'event' && m.machine === 'printJob');
    assert.equal(driver?.event.type, 'PRINT_STATS');
    assert.equal((driver?.event as { stats?: { state?: string; filename?: string } }).stats?.state, 'printing');
    assert.equal((driver?.event as { stats?: { filename?: string } }).stats?.filename, 'inspect.gcode');
    // No transition messages for the many targetless updates (progress, durations) in between.
    assert.ok(ic.messages.filter((m) => m.type === 'snapshot' && m.machine === 'printJob').length > job.length);

    // Klippy restarts: the connection goes round its lifecycle, and the finished job is reset.
    const since = ic.messages.length;
    assert.equal(await rpc.call('printer.restart'), 'ok');
    await ic.waitTransition('klippyConnection', 'connected.ready', since, 15_000);
    await ic.waitTransition('printJob', 'standby', since, 10_000);
    const conn = ic.transitions('klippyConnection', since);
    assert.equal(path(conn[0]!), 'connected.ready -> disconnected');
    assert.equal(conn[0]!.event, 'SOCKET_CLOSED');
    assert.deepEqual(conn[0]!.actions, ['announceDisconnected']);
    assert.equal(conn[1]!.to, 'connecting');
    assert.equal(path(conn.at(-1)!), 'connected.initializing -> connected.ready');
    assert.equal(conn.at(-1)!.event, 'xstate.done.actor.initialize');
    assert.ok(conn.some((t) => path(t) === 'connecting -> connected.identifying'), conn.map(path).join(', '));
    for (let i = 1; i < conn.length; i++) assert.equal(conn[i]!.from, conn[i - 1]!.to, `a chain: ${conn.map(path).join(', ')}`);
    assert.deepEqual(ic.transitions('printJob', since).map(path), ['complete -> standby']);
    // The union subscription is lost with the socket and restored before Klippy is ready again.
    const subs = ic.transitions('statusSubscription', since).map(path);
    const lost = subs.findIndex((p) => p.endsWith('-> lost'));
    assert.ok(lost >= 0, subs.join(', '));
    assert.deepEqual(subs.slice(lost + 1, lost + 3), ['lost -> restoring', 'restoring -> active.fresh'], subs.join(', '));
  } finally {
    await ic.close();
    await rpc.close();
  }
});

test('the viewer page and the diagrams are served at /debug/inspector/', async () => {
  const page = await fetch(s.url + '/debug/inspector/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await page.text(), /<script type="module" src="inspector.js">/);
  const js = await fetch(s.url + '/debug/inspector/inspector.js');
  assert.equal(js.status, 200);
  assert.match(await js.text(), /\.\.\/inspect/);
  const svg = await fetch(s.url + '/debug/inspector/diagrams/printJob.svg');
  assert.equal(svg.status, 200);
  assert.match(await svg.text(), /<title>printJob.standby<\/title>/);
  // Only the generated SVGs of visualizations/ are served.
  assert.equal((await fetch(s.url + '/debug/inspector/diagrams/printJob.mmd')).status, 404);
  assert.equal((await fetch(s.url + '/debug/inspector/diagrams/../../package.json')).status, 404);
  const bare = await fetch(s.url + '/debug/inspector', { redirect: 'manual' });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get('location'), '/debug/inspector/');
});

test('inspection off (the default): both debug paths are 404 and no actor is inspected', async () => {
  assert.equal(off.server.kernel.config.server.enable_inspection, false);
  assert.equal(off.server.kernel.inspection.inspector('printJob'), undefined);
  for (const p of ['/debug/inspector', '/debug/inspector/', '/debug/inspector/inspector.js', '/debug/inspector/diagrams/printJob.svg', '/debug/inspect']) {
    assert.equal((await fetch(off.url + p)).status, 404, p);
  }
  await assert.rejects(InspectClient.connect(off.url), /upgrade refused: 404/);
  // The API's own websocket is unaffected.
  const rpc = await RpcClient.connect(off.url.replace(/^http/, 'ws') + '/websocket');
  assert.equal((await rpc.call('printer.info')).state, 'ready');
  await rpc.close();
});
