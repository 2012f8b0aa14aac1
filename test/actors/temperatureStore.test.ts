// The temperature store with real Klippy components over a real socket, clocked by a test
// stream instead of real seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, filter, firstValueFrom } from 'rxjs';
import { VirtualKlippy } from '../../src/sim/virtualKlippy.js';
import { KlippyConnection } from '../../src/actors/klippyConnection.actor.js';
import { StatusSubscriptions } from '../../src/actors/statusSubscriptions.actor.js';
import { TemperatureStore } from '../../src/components/data_store/temperatureStore.js';
import { logSink } from '../../src/logger.js';

logSink.console = false;

async function rig(size: number) {
  const dir = mkdtempSync(join(tmpdir(), 'temps-'));
  const socketPath = join(dir, 'k.sock');
  const sim = new VirtualKlippy({ socketPath, timeScale: 50, startupDelayMs: 0, gcodesPath: join(dir, 'gcodes') });
  await sim.start();
  const klippy = new KlippyConnection({ socketPath, clientInfo: { program: 'test' } });
  const subs = new StatusSubscriptions(klippy);
  const ticks = new Subject<void>();
  const store = new TemperatureStore(klippy, subs, { size, ticks$: ticks });
  store.start();
  klippy.start();
  await firstValueFrom(klippy.state$.pipe(filter((s) => s === 'ready')));
  // Let the sensor list arrive and its objects be subscribed.
  const deadline = Date.now() + 5000;
  while (!subs.current('extruder') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return {
    sim,
    klippy,
    subs,
    store,
    ticks,
    async close() {
      store.stop();
      subs.dispose();
      klippy.stop();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('one sample per tick for every sensor, with targets and powers, capped at the ring size', async () => {
  const r = await rig(5);
  try {
    const before = r.store.snapshot(false);
    assert.deepEqual(Object.keys(before).sort(), ['extruder', 'heater_bed']);
    assert.deepEqual(before.extruder!.temperatures, [], 'starts empty and grows, as the spec server did');
    // Every series the sensor has is there before the first sample: clients read them at once.
    assert.deepEqual(Object.keys(before.extruder!).sort(), ['powers', 'targets', 'temperatures']);
    assert.deepEqual(Object.keys(before.heater_bed!).sort(), ['powers', 'targets', 'temperatures']);
    for (let i = 0; i < 3; i++) r.ticks.next();
    const three = r.store.snapshot(false);
    assert.equal(three.extruder!.temperatures!.length, 3);
    assert.equal(three.extruder!.targets!.length, 3);
    assert.equal(three.extruder!.powers!.length, 3);
    assert.ok(three.extruder!.temperatures!.every((t) => typeof t === 'number' && t > 0 && Math.round(t * 100) / 100 === t));
    await r.klippy.request('gcode/script', { script: 'M140 S55' });
    // Wait for the target to reach the cache through the subscription, then sample.
    const deadline = Date.now() + 3000;
    while (r.subs.current('heater_bed')?.target !== 55 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    for (let i = 0; i < 4; i++) r.ticks.next();
    const bed = r.store.snapshot(false).heater_bed!;
    assert.equal(bed.temperatures!.length, 5, 'capped at the ring size');
    assert.deepEqual(bed.targets!.slice(-4), [55, 55, 55, 55], 'newest last');
  } finally {
    await r.close();
  }
});

test('no samples while Klippy is not ready; sampling resumes when it is', async () => {
  const r = await rig(100);
  try {
    r.ticks.next();
    await r.sim.stop();
    const deadline = Date.now() + 3000;
    while (r.klippy.state !== 'disconnected' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    for (let i = 0; i < 5; i++) r.ticks.next();
    assert.equal(r.store.snapshot(false).extruder!.temperatures!.length, 1);
    await r.sim.start();
    await firstValueFrom(r.klippy.state$.pipe(filter((s) => s === 'ready')));
    r.ticks.next();
    assert.equal(r.store.snapshot(false).extruder!.temperatures!.length, 2);
  } finally {
    await r.close();
  }
});
