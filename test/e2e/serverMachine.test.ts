// server.temperature_store at its real 1 Hz, and the machine power commands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';

let s: Stack;
let marker: string;

before(async () => {
  s = await startStack({ extraConfig: '[machine]\nshutdown_command: touch "$MOONSTATE_MARK.shutdown"\nreboot_command: touch "$MOONSTATE_MARK.reboot"\n' });
  marker = join(s.dir, 'ran');
  process.env.MOONSTATE_MARK = marker;
  await s.waitReady();
});
after(() => s.close());

test('server.temperature_store grows by one sample a second over both transports', async () => {
  const ws = await s.ws();
  await new Promise((r) => setTimeout(r, 2300));
  const http = (await s.http('GET', '/server/temperature_store')).body.result;
  const n = http.extruder.temperatures.length;
  assert.ok(n >= 2 && n <= 3, `expected 2-3 samples after 2.3 s, got ${n}`);
  assert.equal(http.extruder.targets.length, n);
  assert.ok('heater_bed' in http);
  await new Promise((r) => setTimeout(r, 1100));
  const viaWs = await ws.call('server.temperature_store');
  assert.ok(viaWs.extruder.temperatures.length > n);
});

test('machine.shutdown and machine.reboot answer first, then run the configured command', async () => {
  for (const what of ['shutdown', 'reboot']) {
    const r = await s.http('POST', `/machine/${what}`);
    assert.deepEqual(r.body, { result: 'ok' });
    assert.equal(existsSync(`${marker}.${what}`), false, 'the reply comes before the command');
    const deadline = Date.now() + 3000;
    while (!existsSync(`${marker}.${what}`) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.ok(existsSync(`${marker}.${what}`), `${what} command ran`);
  }
});
