// A consumer of Klippy's streams that throws (a bug meeting a value it did not expect) must be
// logged, not fatal: RxJS would otherwise rethrow the error on a timer and end the process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../helpers/testStack.js';

test('a status subscriber that throws does not take the server down', async () => {
  const s = await startStack();
  try {
    await s.waitReady();
    let calls = 0;
    const sub = s.server.kernel.klippy.status$.subscribe(() => {
      calls++;
      throw new Error('a consumer bug');
    });
    const ws = await s.ws();
    // Heating changes the extruder's temperature, which the temperature store watches, each tick.
    await ws.call('printer.gcode.script', { script: 'M104 S60' });
    const deadline = Date.now() + 10_000;
    while (calls < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(calls >= 3, `${calls} status updates`);
    // RxJS reports the error on a timer: give it that turn before asking.
    await new Promise((r) => setTimeout(r, 50));
    sub.unsubscribe();
    assert.equal((await ws.call('printer.info')).state, 'ready');
    assert.equal((await s.http('GET', '/server/info')).status, 200);
  } finally {
    await s.close();
  }
});
