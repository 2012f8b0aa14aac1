// The sections the component list claims: what loadConfig is told to parse and for whom.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPONENTS, COMPONENT_OPTIONS, componentSections } from '../../src/components/index.js';
import { defineComponent } from '../../src/components/component.js';
import { opt } from '../../src/config/options.js';

test('every moved section is claimed by its component, core ones as core; the kernel keeps [server] and [virtual_klippy]', () => {
  for (const section of ['job_queue', 'data_store', 'machine', 'file_manager', 'virtual_sdcard', 'authorization']) {
    assert.ok(Object.hasOwn(COMPONENT_OPTIONS, section), section);
    assert.ok(!COMPONENT_OPTIONS[section]!.optional, section);
  }
  assert.equal(COMPONENT_OPTIONS.octoprint_compat!.optional, true);
  assert.ok(!Object.hasOwn(COMPONENT_OPTIONS, 'server') && !Object.hasOwn(COMPONENT_OPTIONS, 'virtual_klippy'));
});

test('an optional component without sections owns its [name]; two components may not declare one section', () => {
  const plain = defineComponent({ name: 'plain', optional: true, create: () => ({}) });
  assert.deepEqual(componentSections([plain]).plain!.options, {});
  const thief = defineComponent({ name: 'thief', sections: { job_queue: { x: opt.bool(false) } }, create: () => ({}) });
  assert.throws(() => componentSections([...COMPONENTS, thief]), /job_queue and thief both declare \[job_queue\]/);
});
