import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTraditionalGcode, parseGcodeLine, rawCommandParameters } from '../../src/sim/gcode/lineParser.js';
import { shlexSplit, ShlexError } from '../../src/sim/gcode/shlexSplit.js';
import { parsePyFloat, parsePyInt, pyNumber } from '../../src/sim/gcode/pyValues.js';

test('traditional lines: command, upper-cased parameters, comments and line numbers', () => {
  assert.deepEqual(parseGcodeLine('G1 X10 y-2.5 E0.1 ; move'), {
    command: 'G1',
    commandline: 'G1 X10 y-2.5 E0.1 ; move',
    params: { G: '1', X: '10', Y: '-2.5', E: '0.1' },
  });
  assert.equal(parseGcodeLine('N123 G28 X0*45').command, 'G28');
  assert.equal(parseGcodeLine('M117 123').command, 'M117 123');
  assert.equal(parseGcodeLine('  M104 S200\r').commandline, 'M104 S200');
  assert.equal(parseGcodeLine('; only a comment').command, '');
  assert.equal(parseGcodeLine('set_heater_temperature heater=extruder').command, 'SET_HEATER_TEMPERATURE');
  assert.equal(parseGcodeLine('M862.3 P "MK3S"').command, 'M862.3');
});

test('raw parameters skip the command, a line number and a checksum', () => {
  assert.equal(rawCommandParameters('M117', 'M117 Hello World'), 'Hello World');
  assert.equal(rawCommandParameters('M117', 'N5 M117 Hi*12'), 'Hi');
  assert.equal(rawCommandParameters('RESPOND', 'respond msg=x'), 'msg=x');
});

test('traditional gcode names', () => {
  assert.equal(isTraditionalGcode('G1'), true);
  assert.equal(isTraditionalGcode('M117'), true);
  assert.equal(isTraditionalGcode('T0'), true);
  assert.equal(isTraditionalGcode('RESPOND'), false);
  assert.equal(isTraditionalGcode('SET_PIN'), false);
});

test('shlex splitting as Python posix shlex with # and ; comments', () => {
  assert.deepEqual(shlexSplit('MSG="hello world" TYPE=echo'), ['MSG=hello world', 'TYPE=echo']);
  assert.deepEqual(shlexSplit("A='x y' B=\"q\\\"t\" C=a\\ b"), ['A=x y', 'B=q"t', 'C=a b']);
  assert.deepEqual(shlexSplit('A=1 ; comment B=2'), ['A=1']);
  assert.deepEqual(shlexSplit('A=1#x B=2'), ['A=1']);
  assert.deepEqual(shlexSplit('A=""'), ['A=']);
  assert.throws(() => shlexSplit('A="open'), ShlexError);
});

test('Python number parsing and printing', () => {
  assert.equal(parsePyFloat(' 1e3 '), 1000);
  assert.equal(parsePyFloat('-.5'), -0.5);
  assert.equal(parsePyFloat('1_000.5'), 1000.5);
  assert.equal(parsePyFloat('inf'), Number.POSITIVE_INFINITY);
  assert.equal(parsePyFloat('='), undefined);
  assert.equal(parsePyFloat(''), undefined);
  assert.equal(parsePyInt('12'), 12);
  assert.equal(parsePyInt('1.5'), undefined);
  assert.equal(pyNumber(0, true), '0.0');
  assert.equal(pyNumber(0, false), '0');
  assert.equal(pyNumber(0.2, true), '0.2');
});
