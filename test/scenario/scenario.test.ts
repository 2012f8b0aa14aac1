import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario, readScenario, ScenarioError } from '../../src/scenario/scenario.js';
import { stateMatches } from '../../src/scenario/runScenario.js';

test('JSON and YAML give the same steps; a bare list is a scenario too', () => {
  const json = parseScenario(
    JSON.stringify({ name: 'n', timeScale: 5, steps: [{ connect: {} }, { gcode: 'G28' }, { print: 'a.gcode' }, { pause: {} }, { klippy: 'shutdown' }, { wait: { machine: 'printJob', state: 'paused', timeout: 3 } }, { sleep: 0.5 }] }),
    'x.json',
  );
  const yaml = parseScenario(
    'name: n\ntimeScale: 5\nsteps:\n  - connect: {}\n  - gcode: G28\n  - print: a.gcode\n  - pause: {}\n  - klippy: shutdown\n  - wait: {machine: printJob, state: paused, timeout: 3}\n  - sleep: 0.5\n',
    'x.yaml',
  );
  assert.deepEqual(json.steps, yaml.steps);
  assert.deepEqual(json.steps, [
    { kind: 'connect', timeout: 20 },
    { kind: 'gcode', script: 'G28' },
    { kind: 'print', file: 'a.gcode' },
    { kind: 'pause' },
    { kind: 'klippy', action: 'shutdown' },
    { kind: 'wait', machine: 'printJob', state: 'paused', timeout: 3 },
    { kind: 'sleep', seconds: 0.5 },
  ]);
  assert.equal(yaml.timeScale, 5);
  const bare = parseScenario('- resume: {}\n- cancel:\n', 'bare.yml');
  assert.deepEqual(bare.steps, [{ kind: 'resume' }, { kind: 'cancel' }]);
  assert.equal(bare.name, 'bare');
  assert.equal(bare.timeScale, 20);
});

test('uploads read files relative to the scenario, or take inline gcode', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'cube.gcode'), 'G28\n');
  writeFileSync(join(dir, 's.yaml'), 'steps:\n  - upload: {file: cube.gcode}\n  - upload: {file: cube.gcode, name: sub/renamed.gcode}\n  - upload: {name: inline.gcode, gcode: "G1 X1\\n"}\n');
  assert.deepEqual(readScenario(join(dir, 's.yaml')).steps, [
    { kind: 'upload', name: 'cube.gcode', content: 'G28\n' },
    { kind: 'upload', name: 'sub/renamed.gcode', content: 'G28\n' },
    { kind: 'upload', name: 'inline.gcode', content: 'G1 X1\n' },
  ]);
});

test('mistakes are refused before anything runs, naming the file and the step', () => {
  const bad: Array<[string, RegExp]> = [
    ['steps:\n  - conect: {}\n', /s\.yaml: step 1: unknown step "conect"/],
    ['steps:\n  - gcode: G28\n  - wait: {machine: printJob}\n', /step 2: wait\.state must be a non-empty string/],
    ['steps:\n  - wait: {machine: printJob, state: paused, timout: 3}\n', /unknown key timout/],
    ['steps:\n  - klippy: reboot\n', /klippy takes one of disconnect, restart, firmware_restart, shutdown/],
    ['steps:\n  - print: ../../etc/passwd\n', /not a file name inside the gcodes folder/],
    ['steps:\n  - upload: {name: a.gcode}\n', /upload\.file must be a non-empty string/],
    ['steps:\n  - upload: {file: nowhere.gcode}\n', /cannot read .*nowhere\.gcode/],
    ['steps:\n  - sleep: -1\n', /sleep must be a positive number/],
    ['steps:\n  - pause: now\n', /pause takes no arguments/],
    ['steps:\n  - {gcode: G28, sleep: 1}\n', /a step is an object with one key/],
    ['steps: []\n', /expected a list of steps/],
    ['name: x\nsteps:\n  - connect: {}\nextra: 1\n', /unknown key extra/],
    ['timeScale: 0\nsteps:\n  - connect: {}\n', /timeScale must be a number above 0/],
    ['steps: [\n', /not valid YAML/],
  ];
  for (const [text, want] of bad) {
    assert.throws(() => parseScenario(text, 's.yaml'), (e: unknown) => e instanceof ScenarioError && want.test(e.message), `${text} -> ${want}`);
  }
  assert.throws(() => parseScenario('{"steps": [', 's.json'), /s\.json: not valid JSON/);
});

test('a wait matches the state, an ancestor of it, or its full id', () => {
  const ready = { state: 'connected.ready', states: ['klippyConnection.connected', 'klippyConnection.connected.ready'] };
  assert.ok(stateMatches(ready, 'connected.ready'));
  assert.ok(stateMatches(ready, 'connected'));
  assert.ok(stateMatches(ready, 'klippyConnection.connected.ready'));
  assert.ok(!stateMatches(ready, 'ready'));
  assert.ok(!stateMatches(ready, 'connect'));
  assert.ok(!stateMatches(ready, 'connected.startup'));
});
