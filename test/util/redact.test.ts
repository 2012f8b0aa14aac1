import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, createMachine } from 'xstate';
import { redact, isSecretKey, REDACTED, MAX_STRING } from '../../src/util/redact.js';

test('secret-like keys are redacted whatever they hold, in any spelling', () => {
  for (const k of ['password', 'apiKey', 'api_key', 'X-Api-Key', 'oneshot_token', 'accessToken', 'refresh_token', 'secret', 'Authorization', 'cookie', 'password_hash', 'privateKey', 'key', 'credentials']) {
    assert.ok(isSecretKey(k), k);
  }
  for (const k of ['monkey', 'keyboard', 'filename', 'state', 'tokenizer_state', 'hotkeys', 'message', 'socketPath']) {
    assert.ok(!isSecretKey(k), k);
  }
  const out = redact({ user: 'ann', password: 'hunter2', nested: [{ apiKey: { v: 'k1' } }], auth: { token: 'abc' }, empty_token: '' });
  assert.deepEqual(out, { user: 'ann', password: REDACTED, nested: [{ apiKey: REDACTED }], auth: REDACTED, empty_token: '' });
  assert.ok(!JSON.stringify(out).includes('hunter2') && !JSON.stringify(out).includes('k1') && !JSON.stringify(out).includes('abc'));
});

test('file contents go: thumbnails data, contents keys, long strings, bytes', () => {
  const b64 = 'iVBORw0KGgo'.repeat(40);
  const gcode = 'G1 X10 Y10 E0.5\n'.repeat(100);
  const out = redact({
    filename: 'cube.gcode',
    thumbnails: [{ width: 32, height: 32, size: 1200, data: b64 }],
    contents: gcode,
    short: 'M117 hi',
    long: 'x'.repeat(MAX_STRING + 1),
    buf: Buffer.from('G28\n'),
  }) as Record<string, unknown>;
  assert.deepEqual(out, {
    filename: 'cube.gcode',
    thumbnails: [{ width: 32, height: 32, size: 1200, data: `[${b64.length} chars]` }],
    contents: `[${gcode.length} chars]`,
    short: 'M117 hi',
    long: `[${MAX_STRING + 1} chars]`,
    buf: '[4 bytes]',
  });
});

test('anything becomes plain JSON: errors, cycles, depth, actors, maps, non-finite numbers', () => {
  const cyc: Record<string, unknown> = { a: 1 };
  cyc.self = cyc;
  const deep: Record<string, unknown> = {};
  let at = deep;
  for (let i = 0; i < 20; i++) at = (at.d = {});
  const actor = createActor(createMachine({ id: 'm' }), { id: 'child' });
  const out = redact({ err: new Error('boom'), cyc, deep, actor, map: new Map([['k1', 1]]), nan: NaN, fn: () => 1, big: 10n }) as Record<string, unknown>;
  assert.deepEqual(out.err, { name: 'Error', message: 'boom' });
  assert.deepEqual(out.cyc, { a: 1, self: '[circular]' });
  assert.ok(JSON.stringify(out.deep).includes('[…]'));
  assert.deepEqual(out.actor, { actor: 'child' });
  assert.deepEqual(out.map, { k1: 1 });
  assert.equal(out.nan, 'NaN');
  assert.equal(out.fn, '[function]');
  assert.equal(out.big, '10');
  assert.doesNotThrow(() => JSON.stringify(out));
});
