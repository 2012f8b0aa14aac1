import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  answerFromStatus,
  compileSelection,
  normaliseSelection,
  pickStatus,
  sameSelection,
  selectionCovers,
  selectionFromQuery,
  unionSelections,
} from '../../src/shared/objectSelection.js';

test('union: null (all fields) wins, field lists merge', () => {
  assert.deepEqual(
    unionSelections([{ toolhead: ['position'], extruder: ['target'] }, { toolhead: ['homed_axes', 'position'], extruder: null }, { fan: ['speed'] }]),
    { toolhead: ['homed_axes', 'position'], extruder: null, fan: ['speed'] },
  );
});

test('covers and sameSelection', () => {
  assert.ok(selectionCovers({ toolhead: null }, { toolhead: ['position'] }));
  assert.ok(!selectionCovers({ toolhead: ['position'] }, { toolhead: null }));
  assert.ok(!selectionCovers({ toolhead: ['position'] }, { toolhead: ['position', 'speed'] }));
  assert.ok(sameSelection({ a: ['x', 'y'], b: null }, { b: null, a: ['y', 'x'] }));
  assert.ok(!sameSelection({ a: ['x'] }, { a: null }));
});

test('pickStatus keeps only requested fields and drops emptied objects', () => {
  const sel = compileSelection({ toolhead: ['position'], extruder: null });
  assert.deepEqual(pickStatus({ toolhead: { position: [1, 2, 3, 4], speed: 5 }, extruder: { target: 200 }, fan: { speed: 1 } }, sel), {
    toolhead: { position: [1, 2, 3, 4] },
    extruder: { target: 200 },
  });
  assert.equal(pickStatus({ toolhead: { speed: 5 }, fan: { speed: 1 } }, sel), undefined);
});

test('answerFromStatus mirrors Klippy: unknown objects {}, unknown named fields null', () => {
  assert.deepEqual(answerFromStatus({ toolhead: { position: [0, 0, 0, 0] } }, { toolhead: ['position', 'nope'], missing: null }), {
    toolhead: { position: [0, 0, 0, 0], nope: null },
    missing: {},
  });
});

test('normaliseSelection: [] means every field, as the spec says; bad shapes are described', () => {
  assert.deepEqual(normaliseSelection({ gcode_move: [], toolhead: ['position'], fan: null }), { gcode_move: null, toolhead: ['position'], fan: null });
  assert.match(normaliseSelection([]) as string, /must be an object/);
  assert.match(normaliseSelection({ a: 'x' }) as string, /fields of "a"/);
  assert.match(normaliseSelection({ a: [1] }) as string, /fields of "a"/);
});

test('selectionFromQuery reads the spec example and skips reserved keys', () => {
  const q = new URLSearchParams('gcode_move=gcode_position,speed&toolhead&extruder=target&connection_id=3');
  assert.deepEqual(selectionFromQuery(q, new Set(['connection_id'])), {
    gcode_move: ['gcode_position', 'speed'],
    toolhead: null,
    extruder: ['target'],
  });
});

test('object names that are Object.prototype members are unknown objects, not Object\'s members', () => {
  const status = { toolhead: { homed_axes: 'xyz' } };
  assert.deepEqual(answerFromStatus(status, { constructor: ['name'], toString: null }), { constructor: {}, toString: {} });
  assert.equal(pickStatus(status, compileSelection({ constructor: null, hasOwnProperty: ['name'] })), undefined);
});
