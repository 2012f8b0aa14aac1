import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualKlippy } from '../../src/sim/virtualKlippy.js';
import { RawClient, startSim, subscribeOutput, query, waitForState } from './rawClient.js';

const SHUTDOWN_TAIL =
  'Once the underlying issue is corrected, use the\n"FIRMWARE_RESTART" command to reset the firmware, reload the\n' +
  'config, and restart the host software.\nPrinter is shutdown\n';

test('M112 shuts down: state, message, refused gcode, objects still answer', async (t) => {
  const h = await startSim({ timeScale: 50 });
  t.after(() => h.cleanup());
  const c = h.client;
  await subscribeOutput(c);
  await c.result('gcode/script', { script: 'G28\nM104 S200' });
  await c.result('gcode/script', { script: 'M112' });
  const info = await c.result('info');
  assert.equal(info.state, 'shutdown');
  assert.equal(info.state_message, `Shutdown due to M112 command\n${SHUTDOWN_TAIL}`);
  assert.equal(h.sim.state, 'shutdown');
  await c.waitForLine((l) => l === '// Klipper state: Shutdown');
  const refused = await c.errorOf('gcode/script', { script: 'G1 X10' });
  assert.equal(refused, `Shutdown due to M112 command\n${SHUTDOWN_TAIL}`);
  await c.waitForLine((l) => l === '!! Shutdown due to M112 command');
  const s = await query(c, { webhooks: null, extruder: ['target', 'power'], gcode: null });
  assert.equal(s.webhooks?.state, 'shutdown');
  assert.equal(s.extruder?.power, 0, 'heaters are off');
  const commands = Object.keys((s.gcode?.commands as object) ?? {});
  assert.ok(commands.includes('FIRMWARE_RESTART') && !commands.includes('G1'), 'only not-ready commands remain');
  await c.result('gcode/script', { script: 'STATUS' }).then(
    () => assert.fail('STATUS must fail when not ready'),
    (e: Error) => assert.match(e.message, /Klipper state: Not ready/),
  );
});

test('emergency_stop shuts down with the webhooks reason', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  assert.deepEqual(await h.client.result('emergency_stop'), {});
  const info = await h.client.result('info');
  assert.equal(info.state, 'shutdown');
  assert.equal(info.state_message, `Shutdown due to webhooks request\n${SHUTDOWN_TAIL}`);
});

test('RESTART replies, drops the socket, comes back through startup to a fresh ready', async (t) => {
  const h = await startSim({ timeScale: 50, startupDelayMs: 300, restartDelayMs: 200 });
  t.after(() => h.cleanup());
  const c = h.client;
  await subscribeOutput(c);
  await c.result('gcode/script', { script: 'G28\nM109 S200\nM106 S255' });
  const before = (await query(c, { extruder: ['temperature'] })).extruder?.temperature as number;
  assert.deepEqual(await c.result('gcode/script', { script: 'RESTART' }), {});
  await c.waitFor(() => c.closed, 3000, 'the connection to drop');
  assert.ok(c.gcodeLines().includes('// Klipper state: Disconnect'), 'last words before the drop');
  // The socket is gone for a while, then back.
  await assert.rejects(RawClient.connect(h.socketPath));
  let again: RawClient | undefined;
  for (let i = 0; i < 100 && !again; i++) {
    await new Promise((r) => setTimeout(r, 20));
    again = await RawClient.connect(h.socketPath).catch(() => undefined);
  }
  assert.ok(again, 'socket re-created');
  t.after(() => again?.close());
  const info = await again.result('info');
  assert.equal(info.state, 'startup');
  assert.equal(
    info.state_message,
    'Printer is not ready\nThe klippy host software is attempting to connect.  Please\nretry in a few moments.\n',
  );
  const early = await query(again, { webhooks: null, toolhead: ['homed_axes'] });
  assert.equal(early.webhooks?.state, 'startup');
  assert.equal(early.toolhead?.homed_axes, '');
  assert.match(await again.errorOf('gcode/script', { script: 'G28' }), /^Printer is not ready/);
  await waitForState(again, 'ready');
  const s = await query(again, { extruder: ['target', 'temperature'], fan: ['speed'], toolhead: ['homed_axes'] });
  assert.equal(s.extruder?.target, 0);
  assert.equal(s.fan?.speed, 0);
  assert.equal(s.toolhead?.homed_axes, '');
  const t2 = s.extruder?.temperature as number;
  assert.ok(t2 > 60 && t2 < before, `still warm, cooling (${before} → ${t2})`);
});

test('gcode/restart and gcode/firmware_restart endpoints reply, then restart', async (t) => {
  const h = await startSim({ restartDelayMs: 50 });
  t.after(() => h.cleanup());
  assert.deepEqual(await h.client.result('gcode/firmware_restart'), {});
  await h.client.waitFor(() => h.client.closed, 3000, 'drop');
  let c: RawClient | undefined;
  for (let i = 0; i < 100 && !c; i++) {
    await new Promise((r) => setTimeout(r, 20));
    c = await RawClient.connect(h.socketPath).catch(() => undefined);
  }
  assert.ok(c);
  t.after(() => c?.close());
  await waitForState(c, 'ready');
  assert.deepEqual(await c.result('gcode/restart'), {});
  await c.waitFor(() => c.closed, 3000, 'drop');
});

test('RESTART also clears a shutdown', async (t) => {
  const h = await startSim({ restartDelayMs: 50 });
  t.after(() => h.cleanup());
  await h.client.result('gcode/script', { script: 'M112' });
  await h.client.result('gcode/script', { script: 'FIRMWARE_RESTART' });
  await h.client.waitFor(() => h.client.closed, 3000, 'drop');
  let c: RawClient | undefined;
  for (let i = 0; i < 100 && !c; i++) {
    await new Promise((r) => setTimeout(r, 20));
    c = await RawClient.connect(h.socketPath).catch(() => undefined);
  }
  assert.ok(c);
  t.after(() => c?.close());
  await waitForState(c, 'ready');
});

test('forceError puts Klippy in "error" until RESTART', async (t) => {
  const h = await startSim({ restartDelayMs: 50 });
  t.after(() => h.cleanup());
  const c = h.client;
  h.sim.forceError("Unknown config object 'probe'");
  const info = await c.result('info');
  assert.equal(info.state, 'error');
  assert.equal(
    info.state_message,
    "Unknown config object 'probe'\nOnce the underlying issue is corrected, use the \"RESTART\"\n" +
      'command to reload the config and restart the host software.\nPrinter is halted\n',
  );
  assert.match(await c.errorOf('gcode/script', { script: 'G28' }), /^Unknown config object 'probe'/);
  await c.result('gcode/script', { script: 'RESTART' });
  await c.waitFor(() => c.closed, 3000, 'drop');
  let again: RawClient | undefined;
  for (let i = 0; i < 100 && !again; i++) {
    await new Promise((r) => setTimeout(r, 20));
    again = await RawClient.connect(h.socketPath).catch(() => undefined);
  }
  assert.ok(again);
  t.after(() => again?.close());
  await waitForState(again, 'ready');
});

test('a sim forced into error during startup never becomes ready', async (t) => {
  const h = await startSim({ startupDelayMs: 200 }, false);
  t.after(() => h.cleanup());
  h.sim.forceError('mcu: Unable to connect');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await h.client.result('info')).state, 'error');
});

test('stop() kills connections at once and removes the socket file', async (t) => {
  const h = await startSim({ timeScale: 10 });
  t.after(() => h.cleanup());
  const pending = h.client.call('gcode/script', { script: 'G4 P10000\nM400' });
  await new Promise((r) => setTimeout(r, 50));
  await h.sim.stop();
  await h.client.waitFor(() => h.client.closed, 1000, 'close');
  assert.equal(existsSync(h.socketPath), false);
  let answered = false;
  void pending.then(() => (answered = true));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(answered, false, 'no reply after a kill');
});

test("a user's own printer.cfg is never overwritten; the printer's own file is rewritten", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-sim-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mine = join(dir, 'mine.cfg');
  writeFileSync(mine, '[printer]\nkinematics: corexy\n');
  const stale = join(dir, 'stale.cfg');
  writeFileSync(stale, '# Generated by moonstate-sim: an older run\n[printer]\n');
  for (const configFile of [mine, stale]) {
    const sim = new VirtualKlippy({ socketPath: join(dir, 'k.sock'), configFile, startupDelayMs: 10 });
    await sim.start();
    await sim.stop();
  }
  assert.equal(readFileSync(mine, 'utf8'), '[printer]\nkinematics: corexy\n');
  assert.match(readFileSync(stale, 'utf8'), /\[virtual_sdcard\]/);
});
