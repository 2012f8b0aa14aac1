import { test } from 'node:test';
import assert from 'node:assert/strict';
import { param, readParams } from '../../src/transport/params.js';
import { ServerError } from '../../src/shared/errors.js';
import { httpStatusOf, rpcCodeOf } from '../../src/transport/errorCodes.js';

const spec = {
  filename: param.string({ required: true }),
  force: param.boolean({ default: false }),
  count: param.integer(),
  objects: param.object(),
};

test('query-string values are coerced to the declared types', () => {
  assert.deepEqual(readParams(spec, { filename: 'a.gcode', force: 'true', count: '12' }), {
    filename: 'a.gcode',
    force: true,
    count: 12,
  });
});

test('defaults fill missing optional values; unknown arguments are ignored', () => {
  assert.deepEqual(readParams(spec, { filename: 'x', connection_id: '4' }), { filename: 'x', force: false });
});

test('missing required and wrongly typed values are invalid params (-32602, HTTP 400)', () => {
  const check = (raw: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => readParams(spec, raw), (e: unknown) => {
      assert.ok(e instanceof ServerError);
      assert.equal(httpStatusOf(e), 400);
      assert.equal(rpcCodeOf(e), -32602);
      assert.match(e.message, re);
      return true;
    });
  check({}, /Missing argument "filename"/);
  check({ filename: 'x', force: 'perhaps' }, /"force": expected boolean/);
  check({ filename: 'x', count: '1.5' }, /"count": expected integer/);
  check({ filename: 'x', count: 'NaN' }, /"count"/);
  check({ filename: { a: 1 } }, /"filename": expected string/);
  check({ filename: 'x', objects: [1] }, /"objects": expected object/);
});

test('only arguments the client sent are read: nothing is found on a prototype', () => {
  const inherited = Object.create({ force: true, filename: 'inherited.gcode' }) as Record<string, unknown>;
  inherited.filename = 'own.gcode';
  assert.deepEqual(readParams(spec, inherited), { filename: 'own.gcode', force: false });
  assert.throws(() => readParams(spec, Object.create({ filename: 'x' }) as Record<string, unknown>), /Missing argument "filename"/);
});
