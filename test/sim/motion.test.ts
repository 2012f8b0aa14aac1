import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../../src/shared/klippyProtocol.js';
import { startSim, subscribeOutput, query } from './rawClient.js';

test('moves before homing fail with Klippy text; G28 homes the given axes', async (t) => {
  const h = await startSim({ timeScale: 50 });
  t.after(() => h.cleanup());
  const c = h.client;
  assert.equal(
    await c.errorOf('gcode/script', { script: 'G1 X10 Y5 F3000' }),
    'Must home axis first: 10.000 5.000 0.000 [0.000]',
  );
  await c.result('gcode/script', { script: 'G28 X Y' });
  assert.equal((await query(c, { toolhead: ['homed_axes'] })).toolhead?.homed_axes, 'xy');
  await c.result('gcode/script', { script: 'G1 X10 Y5 F3000' });
  assert.equal(await c.errorOf('gcode/script', { script: 'G1 Z5' }), 'Must home axis first: 10.000 5.000 5.000 [0.000]');
  await c.result('gcode/script', { script: 'G28' });
  const s = await query(c, { toolhead: ['homed_axes', 'position'], gcode_move: ['position', 'gcode_position'], stepper_enable: null });
  assert.equal(s.toolhead?.homed_axes, 'xyz');
  assert.deepEqual(s.toolhead?.position, [0, 0, 0, 0]);
  assert.deepEqual(s.gcode_move?.gcode_position, [0, 0, 0, 0]);
  assert.deepEqual((s.stepper_enable?.steppers as JsonObject).stepper_z, true);
});

test('out-of-range and cold-extrusion moves fail with Klippy texts and leave the position', async (t) => {
  const h = await startSim({ timeScale: 50 });
  t.after(() => h.cleanup());
  const c = h.client;
  await subscribeOutput(c);
  await c.result('gcode/script', { script: 'G28\nG1 X50 Y50 F6000' });
  assert.equal(await c.errorOf('gcode/script', { script: 'G1 X300' }), 'Move out of range: 300.000 50.000 0.000 [0.000]');
  assert.equal(await c.errorOf('gcode/script', { script: 'G1 Z-1' }), 'Move out of range: 50.000 50.000 -1.000 [0.000]');
  const cold = await c.errorOf('gcode/script', { script: 'G1 X60 E1' });
  assert.equal(cold, "Extrude below minimum temp\nSee the 'min_extrude_temp' config option for details");
  await c.waitForLine((l) => l === '!! Extrude below minimum temp');
  assert.ok(c.gcodeLines().includes("// Extrude below minimum temp\n// See the 'min_extrude_temp' config option for details"));
  const s = await query(c, { gcode_move: ['gcode_position'], toolhead: ['position'] });
  assert.deepEqual(s.gcode_move?.gcode_position, [50, 50, 0, 0], 'gcode position reset to the toolhead');
  assert.deepEqual(s.toolhead?.position, [50, 50, 0, 0]);
});

test('moves take distance/speed of simulated time; a long script stalls, M400 waits', async (t) => {
  const h = await startSim({ timeScale: 10 });
  t.after(() => h.cleanup());
  const c = h.client;
  await c.result('gcode/script', { script: 'G28\nM400' });
  // 100 mm at 50 mm/s = 2 s simulated = 200 ms real: queued, so the script returns at once.
  let t0 = Date.now();
  await c.result('gcode/script', { script: 'G1 X100 F3000' });
  assert.ok(Date.now() - t0 < 150, 'queued moves return at once');
  const moving = await query(c, { toolhead: ['position', 'print_time', 'estimated_print_time'], motion_report: null });
  assert.deepEqual(moving.toolhead?.position, [100, 0, 0, 0], 'commanded position is the end point');
  assert.ok((moving.toolhead?.print_time as number) > (moving.toolhead?.estimated_print_time as number));
  await c.result('gcode/script', { script: 'M400' });
  // 10 moves of 100 mm at 50 mm/s: 20 s simulated. Only ~2 s may be queued ahead, so the
  // script must take about (20 - 2) / 10 = 1.8 s of real time.
  t0 = Date.now();
  const zigzag = Array.from({ length: 10 }, (_v, i) => `G1 X${i % 2 ? 100 : 0} F3000`).join('\n');
  await c.result('gcode/script', { script: zigzag });
  const stalled = Date.now() - t0;
  assert.ok(stalled > 1500 && stalled < 3000, `stalled ${stalled} ms`);
  t0 = Date.now();
  await c.result('gcode/script', { script: 'M400' });
  const drained = Date.now() - t0;
  assert.ok(drained > 100 && drained < 400, `M400 waited for the queued ~2 s (${drained} ms)`);
});

test('motion_report interpolates the current move', async (t) => {
  const h = await startSim({ timeScale: 5 });
  t.after(() => h.cleanup());
  const c = h.client;
  await c.result('gcode/script', { script: 'G28\nM400\nG1 X200 F3000' }); // 4 s simulated = 800 ms real
  await new Promise((r) => setTimeout(r, 300));
  const mr = (await query(c, { motion_report: null })).motion_report;
  const x = (mr?.live_position as number[])[0] ?? -1;
  assert.ok(x > 20 && x < 190, `mid-move x=${x}`);
  assert.equal(mr?.live_velocity, 50);
  await c.result('gcode/script', { script: 'M400' });
  await new Promise((r) => setTimeout(r, 300));
  const done = (await query(c, { motion_report: null })).motion_report;
  assert.deepEqual(done?.live_position, [200, 0, 0, 0]);
  assert.equal(done?.live_velocity, 0);
});

test('coordinate modes, factors, offsets and motors off', async (t) => {
  const h = await startSim({ timeScale: 100 });
  t.after(() => h.cleanup());
  const c = h.client;
  await c.result('gcode/script', {
    script: 'G28\nG1 X10 Y10 F6000\nG91\nG1 X5 Y-2\nG90\nG92 X0\nM220 S50\nM221 S90\nM204 S1500',
  });
  let s = await query(c, { gcode_move: null, toolhead: ['position', 'max_accel'] });
  assert.deepEqual(s.toolhead?.position, [15, 8, 0, 0]);
  assert.deepEqual(s.gcode_move?.gcode_position, [0, 8, 0, 0]);
  assert.equal(s.gcode_move?.absolute_coordinates, true);
  assert.equal(s.gcode_move?.speed_factor, 0.5);
  assert.equal(s.gcode_move?.extrude_factor, 0.9);
  assert.equal(s.gcode_move?.speed, 6000, 'Klippy reports the last F as given (mm/min)');
  assert.equal(s.toolhead?.max_accel, 1500);
  await c.result('gcode/script', { script: 'M83\nG4 P100\nSET_GCODE_OFFSET Z=0.2\nM84' });
  s = await query(c, { gcode_move: ['absolute_extrude', 'homing_origin'], toolhead: ['homed_axes'], stepper_enable: null });
  assert.equal(s.gcode_move?.absolute_extrude, false);
  assert.deepEqual(s.gcode_move?.homing_origin, [0, 0, 0.2, 0]);
  assert.equal(s.toolhead?.homed_axes, '');
  assert.deepEqual(s.stepper_enable?.steppers, { stepper_x: false, stepper_y: false, stepper_z: false, extruder: false });
});

test('hot extrusion works and idle_timeout goes Printing then Ready', async (t) => {
  const h = await startSim({ timeScale: 200 });
  t.after(() => h.cleanup());
  const c = h.client;
  await c.result('gcode/script', { script: 'M109 S200\nG28\nG1 X50 Y50 E5 F3000' });
  let s = await query(c, { idle_timeout: null, toolhead: ['position'], stepper_enable: null });
  assert.equal(s.idle_timeout?.state, 'Printing');
  assert.deepEqual(s.toolhead?.position, [50, 50, 0, 5]);
  assert.equal((s.stepper_enable?.steppers as JsonObject).extruder, true);
  await c.result('gcode/script', { script: 'M400' });
  await new Promise((r) => setTimeout(r, 100));
  s = await query(c, { idle_timeout: null });
  assert.equal(s.idle_timeout?.state, 'Ready');
});

test('arcs move to their end point in the time of their length', async (t) => {
  const h = await startSim({ timeScale: 10 });
  t.after(() => h.cleanup());
  const c = h.client;
  await c.result('gcode/script', { script: 'G28\nG1 X100 Y50 F6000\nM400' });
  const t0 = Date.now();
  // A full circle of radius 50: 314 mm at 100 mm/s = 3.14 s simulated = 314 ms real.
  await c.result('gcode/script', { script: 'G2 X100 Y50 I50 J0 F6000\nM400' });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed > 250 && elapsed < 600, `arc took ${elapsed} ms`);
  await c.result('gcode/script', { script: 'G3 X150 Y100 I50 J0' });
  assert.deepEqual((await query(c, { toolhead: ['position'] })).toolhead?.position, [150, 100, 0, 0]);
  assert.equal(await c.errorOf('gcode/script', { script: 'G2 X1 Y1 R5' }), 'G2/G3 does not support R moves');
});
