import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, subscribeOutput, query } from './rawClient.js';

test('an unknown command is reported but the script succeeds and carries on', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  await subscribeOutput(h.client);
  const r = await h.client.result('gcode/script', { script: 'FOO BAR=1\nM999\nM117 after' });
  assert.deepEqual(r, {});
  await h.client.waitForLine((l) => l === '// Unknown command:"M999"');
  assert.ok(h.client.gcodeLines().includes('// Unknown command:"FOO"'));
  assert.equal((await query(h.client, { display_status: ['message'] })).display_status?.message, 'after');
});

test('a failing command fails gcode/script with its message and prints "!! message"', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  await subscribeOutput(h.client);
  const msg = await h.client.errorOf('gcode/script', { script: 'M117 before\nG4 P-5\nM117 never' });
  assert.equal(msg, "Error on 'G4 P-5': P must have minimum of 0.0");
  await h.client.waitForLine((l) => l === "!! Error on 'G4 P-5': P must have minimum of 0.0");
  assert.equal((await query(h.client, { display_status: ['message'] })).display_status?.message, 'before');
  assert.equal(
    await h.client.errorOf('gcode/script', { script: 'M106 S=x' }),
    "Error on 'M106 S=x': unable to parse =",
  );
  assert.equal(
    await h.client.errorOf('gcode/script', { script: 'SET_VELOCITY_LIMIT VELOCITY' }),
    "Malformed command 'SET_VELOCITY_LIMIT VELOCITY'",
  );
  assert.equal(
    await h.client.errorOf('gcode/script', { script: 'SET_HEATER_TEMPERATURE TARGET=10' }),
    "Error on 'SET_HEATER_TEMPERATURE TARGET=10': missing HEATER",
  );
  assert.equal(
    await h.client.errorOf('gcode/script', { script: 'SET_HEATER_TEMPERATURE HEATER=chamber TARGET=10' }),
    "The value 'chamber' is not valid for HEATER",
  );
});

test('RESPOND prefixes, M118, ECHO-style basics, STATUS and HELP', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  await subscribeOutput(c);
  await c.result('gcode/script', {
    script: 'RESPOND MSG="plain text"\nRESPOND TYPE=echo MSG=e\nRESPOND TYPE=error MSG="bad thing"\n' +
      'RESPOND TYPE=command MSG=action:cancel\nRESPOND PREFIX=info: MSG=x\nM118 hello there\nSTATUS\nHELP\nM115',
  });
  await c.waitForLine((l) => l.startsWith('// FIRMWARE_NAME:Klipper'));
  const lines = c.gcodeLines();
  for (const expected of [
    '// plain text', 'echo: e', '!! bad thing', '// action:cancel', 'info: x', '// hello there',
    '// Klipper state: Ready', '// FIRMWARE_NAME:Klipper FIRMWARE_VERSION:v0.13.0-virtual',
  ]) {
    assert.ok(lines.includes(expected), `missing ${expected}: ${JSON.stringify(lines)}`);
  }
  const help = lines.find((l) => l.startsWith('// Available extended commands:'));
  assert.ok(help?.includes('// RESTART   : Reload config file and restart host software'));
  assert.equal(
    await c.errorOf('gcode/script', { script: 'RESPOND TYPE=loud MSG=x' }),
    "RESPOND TYPE 'loud' is invalid. Must be one of 'echo', 'command', or 'error'",
  );
});

test('M117 keeps free text (digits, case, quotes); M73 sets progress; M106/M107 drive the fan', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  await c.result('gcode/script', { script: 'M117 Layer 3/10 "ok"\nM73 P42\nM106 S127.5' });
  let s = await query(c, { display_status: null, fan: ['speed'] });
  assert.deepEqual(s.display_status, { progress: 0.42, message: 'Layer 3/10 "ok"' });
  assert.equal(s.fan?.speed, 0.5);
  await c.result('gcode/script', { script: 'M117 123\nM107' });
  s = await query(c, { display_status: ['message'], fan: ['speed'] });
  assert.equal(s.display_status?.message, '123');
  assert.equal(s.fan?.speed, 0);
  await c.result('gcode/script', { script: 'M117' });
  assert.equal((await query(c, { display_status: ['message'] })).display_status?.message, null);
});

test('scripts run one at a time: a second script waits for a dwelling one', async (t) => {
  const h = await startSim({ timeScale: 10 });
  t.after(() => h.cleanup());
  const c = h.client;
  const t0 = Date.now();
  const slow = c.result('gcode/script', { script: 'G4 P3000\nM400\nM117 slow done' });
  await new Promise((r) => setTimeout(r, 20));
  const fast = c.result('gcode/script', { script: 'M117 fast done' });
  await fast;
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 250, `second script waited for the first (${elapsed} ms)`);
  await slow;
  assert.equal((await query(c, { display_status: ['message'] })).display_status?.message, 'fast done');
});

test('gcode/script accepts comments, line numbers, blank lines and lower case', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  await subscribeOutput(c);
  await c.result('gcode/script', { script: '; just a comment\n\nN10 M106 S255*33\nrespond msg=lower ; trailing comment\n' });
  await c.waitForLine((l) => l === '// lower');
  assert.equal((await query(c, { fan: ['speed'] })).fan?.speed, 1);
});
