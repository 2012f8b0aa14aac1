import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, subscribeOutput, query } from './rawClient.js';

test('M109 waits until the extruder is at target, printing temperature lines', async (t) => {
  const h = await startSim({ timeScale: 200 });
  t.after(() => h.cleanup());
  const c = h.client;
  await subscribeOutput(c);
  const t0 = Date.now();
  await c.result('gcode/script', { script: 'M109 S210' });
  const realMs = Date.now() - t0;
  const s = await query(c, { extruder: null });
  assert.ok(Math.abs((s.extruder?.temperature as number) - 210) <= 1, `at target: ${s.extruder?.temperature}`);
  assert.equal(s.extruder?.target, 210);
  assert.equal(s.extruder?.can_extrude, true);
  assert.ok((s.extruder?.power as number) > 0 && (s.extruder?.power as number) < 1, 'holding power');
  const lines = c.gcodeLines().filter((l) => l.startsWith('B:'));
  assert.ok(lines.length >= 10, `one line per simulated second (${lines.length})`);
  assert.match(lines[0] ?? '', /^B:\d+\.\d \/0\.0 T0:\d+\.\d \/210\.0$/);
  // Heating from ambient takes tens of simulated seconds: real time must reflect the scale.
  assert.ok(realMs < 2000, `scaled: ${realMs} ms`);
});

test('M190 and TEMPERATURE_WAIT wait on the bed; M140 does not wait', async (t) => {
  const h = await startSim({ timeScale: 400 });
  t.after(() => h.cleanup());
  const c = h.client;
  await c.result('gcode/script', { script: 'M140 S60' });
  let bed = (await query(c, { heater_bed: null })).heater_bed;
  assert.equal(bed?.target, 60);
  assert.ok((bed?.temperature as number) < 40, 'M140 returned before heating');
  await c.result('gcode/script', { script: 'TEMPERATURE_WAIT SENSOR=heater_bed MINIMUM=45' });
  bed = (await query(c, { heater_bed: null })).heater_bed;
  assert.ok((bed?.temperature as number) >= 45);
  await c.result('gcode/script', { script: 'M190 S60' });
  bed = (await query(c, { heater_bed: null })).heater_bed;
  assert.ok(Math.abs((bed?.temperature as number) - 60) <= 1);
  assert.equal(
    await c.errorOf('gcode/script', { script: 'TEMPERATURE_WAIT SENSOR=heater_bed' }),
    "Error on 'TEMPERATURE_WAIT': missing MINIMUM or MAXIMUM.",
  );
  assert.equal(
    await c.errorOf('gcode/script', { script: 'TEMPERATURE_WAIT SENSOR=chamber MINIMUM=1' }),
    "Unknown sensor 'chamber'",
  );
});

test('targets above max_temp are refused with Klippy text', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  assert.equal(
    await c.errorOf('gcode/script', { script: 'M104 S400' }),
    'Requested temperature (400.0) out of range (0.0:300.0)',
  );
  assert.equal(
    await c.errorOf('gcode/script', { script: 'SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=130' }),
    'Requested temperature (130.0) out of range (0.0:120.0)',
  );
  await c.result('gcode/script', { script: 'SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=55\nM104 T0 S180' });
  const s = await query(c, { heater_bed: ['target'], extruder: ['target'] });
  assert.equal(s.heater_bed?.target, 55);
  assert.equal(s.extruder?.target, 180);
  assert.equal(await c.errorOf('gcode/script', { script: 'M104 T1 S200' }), 'Extruder not configured');
});

test('a heater cools towards ambient when switched off', async (t) => {
  const h = await startSim({ timeScale: 400 });
  t.after(() => h.cleanup());
  const c = h.client;
  await c.result('gcode/script', { script: 'M109 S200\nTURN_OFF_HEATERS' });
  const hot = (await query(c, { extruder: null })).extruder;
  assert.equal(hot?.target, 0);
  assert.equal(hot?.power, 0);
  await new Promise((r) => setTimeout(r, 400));
  const cooler = (await query(c, { extruder: ['temperature'] })).extruder;
  assert.ok((cooler?.temperature as number) < (hot?.temperature as number) - 20, 'cooled');
  assert.ok((cooler?.temperature as number) > 25);
});
