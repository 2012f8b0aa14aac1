// The default printer.cfg ships PAUSE, RESUME and CANCEL_PRINT as gcode_macro over Klippy's own
// commands (renamed BASE_*), as Mainsail's and Fluidd's client configs do, so the UIs find
// everything they check for. The macros really pause, resume and cancel, and park the head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../src/shared/klippyProtocol.js';
import { RawClient, query, startSim, subscribeOutput } from './rawClient.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await sleep(20);
  }
}

const state = async (c: RawClient): Promise<Record<string, JsonObject>> =>
  query(c, { print_stats: ['state'], pause_resume: null, toolhead: ['position'], extruder: ['target'], heater_bed: ['target'], fan: ['speed'] });

/** A long print: 200 mm moves at 20 mm/s, with the part fan and heaters set as slicers do. */
function longFile(): string {
  const out = ['M140 S50', 'M104 S200', 'G28', 'G90', 'M83', 'M106 S128', 'G1 Z1 F600'];
  for (let i = 0; i < 200; i++) out.push(`G1 X${i % 2 ? 20 : 220} Y${50 + (i % 50)} F1200`);
  return `${out.join('\n')}\n`;
}

test('configfile has the macros and sections Mainsail and Fluidd check for', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const { configfile } = await query(h.client, { configfile: ['settings', 'config'] });
  const settings = configfile!.settings as Record<string, JsonObject>;
  for (const [macro, base] of [['pause', 'BASE_PAUSE'], ['resume', 'BASE_RESUME'], ['cancel_print', 'BASE_CANCEL_PRINT']] as const) {
    const s = settings[`gcode_macro ${macro}`];
    assert.ok(s, `gcode_macro ${macro} in configfile.settings`);
    assert.equal(s.rename_existing, base);
    assert.equal(typeof s.gcode, 'string');
    assert.match(String(s.gcode), new RegExp(`^${base}\\b`, 'm'), 'the macro runs the command it renamed');
  }
  for (const section of ['virtual_sdcard', 'pause_resume', 'display_status']) assert.ok(settings[section], section);
  // Mainsail looks for lower-cased names in settings (above); Fluidd for these names in config.
  const config = configfile!.config as Record<string, JsonObject>;
  for (const section of ['virtual_sdcard', 'pause_resume', 'display_status', 'gcode_macro CANCEL_PRINT', 'gcode_macro PAUSE']) {
    assert.ok(config[section], `configfile.config has [${section}] as written`);
  }
  const objects = (await h.client.result('objects/list')).objects as string[];
  for (const o of ['gcode_macro PAUSE', 'gcode_macro RESUME', 'gcode_macro CANCEL_PRINT', 'pause_resume', 'display_status', 'virtual_sdcard']) {
    assert.ok(objects.includes(o), o);
  }
  const help = await h.client.result('gcode/help');
  assert.equal(help.BASE_RESUME, "Renamed builtin of 'RESUME'");
  assert.equal(help.BASE_CANCEL_PRINT, "Renamed builtin of 'CANCEL_PRINT'");
});

test('PAUSE parks the head, RESUME brings it back, CANCEL_PRINT stops, turns off heaters and fan, parks', async (t) => {
  const h = await startSim({ timeScale: 50 });
  t.after(() => h.cleanup());
  const c = h.client;
  writeFileSync(join(h.gcodes, 'long.gcode'), longFile());
  await subscribeOutput(c);
  await c.result('gcode/script', { script: 'SDCARD_PRINT_FILE FILENAME=long.gcode' });
  // Printing past the file's G1 Z1 (after M106), so the lift is measured from a known height.
  await waitFor(
    () => state(c),
    (s) => s.print_stats!.state === 'printing' && (s.fan!.speed as number) > 0 && (s.toolhead!.position as number[])[2] === 1,
    'printing at Z1 with the fan on',
  );

  await c.result('gcode/script', { script: 'PAUSE' });
  const paused = await state(c);
  assert.equal(paused.print_stats!.state, 'paused');
  assert.equal(paused.pause_resume!.is_paused, true);
  assert.deepEqual((paused.toolhead!.position as number[]).slice(0, 3), [230, 230, 6], 'lifted 5 mm and parked 5 mm inside the back corner');
  assert.equal((await c.call('gcode/script', { script: 'PAUSE' })).error, undefined, 'pausing twice is harmless');
  assert.ok(c.gcodeLines().includes('// Print already paused'));
  assert.deepEqual(((await state(c)).toolhead!.position as number[]).slice(0, 3), [230, 230, 6], 'and does not move the head again');

  await c.result('gcode/script', { script: 'RESUME VELOCITY=100' });
  const resumed = await state(c);
  assert.equal(resumed.print_stats!.state, 'printing');
  assert.equal(resumed.pause_resume!.is_paused, false);
  assert.equal((resumed.toolhead!.position as number[])[2], 1, 'back on the layer it paused on');

  await c.result('gcode/script', { script: 'CANCEL_PRINT' });
  const cancelled = await state(c);
  assert.equal(cancelled.print_stats!.state, 'cancelled');
  assert.equal(cancelled.extruder!.target, 0);
  assert.equal(cancelled.heater_bed!.target, 0);
  assert.equal(cancelled.fan!.speed, 0);
  assert.deepEqual((cancelled.toolhead!.position as number[]).slice(0, 3), [230, 230, 6]);

  // Cancelling a paused print leaves the head where the pause parked it: no second lift.
  await c.result('gcode/script', { script: 'SDCARD_PRINT_FILE FILENAME=long.gcode' });
  await waitFor(() => state(c), (s) => s.print_stats!.state === 'printing' && (s.toolhead!.position as number[])[2] === 1, 'printing again');
  await c.result('gcode/script', { script: 'PAUSE' });
  await c.result('gcode/script', { script: 'CANCEL_PRINT' });
  const again = await state(c);
  assert.equal(again.print_stats!.state, 'cancelled');
  assert.deepEqual((again.toolhead!.position as number[]).slice(0, 3), [230, 230, 6]);
});

test('the webhooks endpoints run the macros too, and an unhomed printer pauses without moving', async (t) => {
  const h = await startSim({ timeScale: 50 });
  t.after(() => h.cleanup());
  const c = h.client;
  // No G28: the head has nowhere known to park.
  writeFileSync(join(h.gcodes, 'dwell.gcode'), `${Array.from({ length: 100 }, () => 'G4 P1000').join('\n')}\n`);
  await c.result('gcode/script', { script: 'SDCARD_PRINT_FILE FILENAME=dwell.gcode' });
  await waitFor(() => state(c), (s) => s.print_stats!.state === 'printing', 'printing');
  await c.result('pause_resume/pause');
  const paused = await state(c);
  assert.equal(paused.print_stats!.state, 'paused');
  assert.deepEqual(paused.toolhead!.position, [0, 0, 0, 0]);
  await c.result('pause_resume/resume');
  assert.equal((await state(c)).print_stats!.state, 'printing');
  await c.result('pause_resume/cancel');
  assert.equal((await state(c)).print_stats!.state, 'cancelled');
});
