// The edge's reading of single frames: what is refused, what is cleaned, and that nothing a
// frame names can reach a prototype.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MAX_DEPTH, checkReply, readKlippyFrame, readStatusReply } from '../../src/actors/klippyMessage.js';
import { parseTranscript } from '../helpers/transcript.js';

// Where transcriptReplay.test.ts reads them too.
const TRANSCRIPTS = resolve(process.env.MOONSTATE_TRANSCRIPTS ?? '../shared/reference/transcripts');
const logs = existsSync(TRANSCRIPTS) ? readdirSync(TRANSCRIPTS).filter((f) => f.endsWith('.log')) : [];

test('everything real Klippys sent in the recordings passes the edge unchanged', { skip: logs.length === 0 ? 'no recordings' : false }, () => {
  const problems: string[] = [];
  for (const file of logs) {
    const methods = new Map<string, string>();
    for (const f of parseTranscript(readFileSync(join(TRANSCRIPTS, file), 'utf8'))) {
      if (f.direction === '>') {
        methods.set(JSON.stringify(f.message.id), String(f.message.method));
        continue;
      }
      const text = JSON.stringify(f.message);
      const m = readKlippyFrame(text);
      if (m.kind === 'invalid') problems.push(`${file}: ${m.why}: ${text.slice(0, 100)}`);
      else if (m.kind === 'reply') {
        const method = methods.get(JSON.stringify(m.id)) ?? '';
        const r = checkReply(method, m.result);
        if (typeof r === 'string' || JSON.stringify(r) !== JSON.stringify(f.message.result)) problems.push(`${file}: reply to ${method} ${typeof r === 'string' ? r : 'changed'}`);
      } else if (m.kind === 'notification' && JSON.stringify(m.params) !== JSON.stringify(f.message.params ?? {})) {
        problems.push(`${file}: ${m.method} changed`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('__proto__, constructor and prototype keys are removed at every level, prototypes untouched', () => {
  const m = readKlippyFrame(
    '{"method":"process_status_update","params":{"eventtime":1,"status":{"__proto__":{"polluted":1},"constructor":{"a":1},' +
      '"toolhead":{"__proto__":{"polluted":2},"position":[{"__proto__":{"polluted":3}}],"homed_axes":"xyz"}}}}',
  );
  assert.equal(m.kind, 'notification');
  const status = (m as unknown as { params: { status: Record<string, Record<string, unknown>> } }).params.status;
  assert.deepEqual(Object.keys(status), ['toolhead']);
  assert.deepEqual(Object.keys(status.toolhead!), ['position', 'homed_axes']);
  assert.equal(Object.getPrototypeOf(status.toolhead), Object.prototype);
  const merged = Object.assign({}, status.toolhead, ...(status.toolhead!.position as object[]));
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('nesting past the limit is refused; up to it is accepted', () => {
  const nest = (n: number) => `{"method":"m","params":{"x":${'['.repeat(n)}${']'.repeat(n)}}}`;
  assert.equal(readKlippyFrame(nest(MAX_DEPTH - 2)).kind, 'notification');
  assert.equal(readKlippyFrame(nest(MAX_DEPTH)).kind, 'invalid');
  assert.equal(readKlippyFrame(nest(1_000_000)).kind, 'invalid');
});

test('a status keeps its objects that are objects, and drops wrong-typed fields the server reads', () => {
  const r = readStatusReply({
    eventtime: 3,
    status: { toolhead: null, webhooks: { state: 9, state_message: 'hi' }, print_stats: { filename: 5, state: 'printing', extra: { any: 'thing' } }, x: [1] },
  });
  assert.deepEqual(r, { eventtime: 3, status: { webhooks: { state_message: 'hi' }, print_stats: { state: 'printing', extra: { any: 'thing' } } } });
  assert.equal(typeof readStatusReply({ eventtime: 'x', status: {} }), 'string');
  assert.equal(typeof readStatusReply({ eventtime: 1, status: null }), 'string');
});

test('replies are checked by the method they answer', () => {
  assert.equal(typeof checkReply('info', { state: 'nope' }), 'string');
  assert.deepEqual(checkReply('info', { state: 'ready', hostname: 'h' }), { state: 'ready', hostname: 'h', state_message: '' });
  assert.equal(typeof checkReply('objects/list', { objects: 'all' }), 'string');
  assert.equal(typeof checkReply('gcode/script', null), 'string');
  assert.deepEqual(checkReply('gcode/script', {}), {});
  assert.deepEqual(readKlippyFrame('{"id":4,"error":{"message":7}}'), { kind: 'error', id: 4, message: '{"message":7}' });
  assert.equal(readKlippyFrame('{"id":"4","result":{}}').kind, 'invalid');
});
