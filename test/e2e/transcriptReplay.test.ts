// Replays recorded real Klippy traffic (test/fixtures/transcripts) against the virtual Klippy,
// configured like the recorded printer, and checks every reply and async message for the
// recorded fields and JSON types, error texts, gcode responses and state order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pairReplies, parseTranscript, parseTranscriptEvents, shapeDifferences } from '../helpers/transcript.js';
import { replayTranscript, type KnownDifference } from '../helpers/transcriptReplay.js';

const FIXTURES = resolve('test/fixtures/transcripts');
/** Other recordings of the same session can be replayed with MOONSTATE_TRANSCRIPTS=dir. */
const DIR = resolve(process.env.MOONSTATE_TRANSCRIPTS ?? FIXTURES);
const logs = readdirSync(DIR).filter((f) => f.endsWith('.log'));

/**
 * Where a recording's Klippy is not today's Klipper, which the virtual Klippy imitates: the
 * 2020 Klipper had commands since removed or renamed.
 */
const KNOWN: Record<string, KnownDifference[]> = {
  'moonraker-old_klippy-old.log': [
    { pattern: /toolhead\.max_accel_to_decel: missing/, why: 'today\'s Klipper replaced it with minimum_cruise_ratio' },
    { pattern: /gcode\/help\.SET_EXTRUDER_STEP_DISTANCE: missing/, why: 'renamed SET_EXTRUDER_ROTATION_DISTANCE since' },
    { pattern: /query_endstops\/status\.[xyz]: missing/, why: 'today\'s Klipper names endstops after their steppers (stepper_x)' },
    { pattern: /extra gcode response "\/\/ Klipper state: Disconnect"/, why: 'the 2020 Klippy closed the socket without announcing it' },
    {
      pattern: /gcode response "\/\/ action:paused" never came/,
      why: 'the 2020 CANCEL_PRINT was PAUSE then CLEAR_PAUSE, so it announced a pause first',
    },
  ],
};

test('the transcript reader finds frames by JSON structure, not by the `.` that marks ETX', () => {
  const sample = [
    '> 1700000000.100 62',
    '{"id":1,"method":"info","params":{"client_info":{"v":"0.1"}}}.',
    '< 1700000000.101 120',
    '{"id":1,"result":{"state":"ready","cpu_info":"4 core ARMv7. rev 4"}}.{"method":"process_status_update","params":{"eventtime":12.5,"status":{}}}.',
  ].join('\n');
  const frames = parseTranscript(sample);
  assert.equal(frames.length, 3);
  assert.equal(frames[0]!.direction, '>');
  assert.equal((frames[1]!.message.result as { cpu_info: string }).cpu_info, '4 core ARMv7. rev 4');
  assert.equal((frames[2]!.message.params as { eventtime: number }).eventtime, 12.5);
});

test('a reply belongs to the latest unanswered request with its id (ids repeat), not across connections', () => {
  const events = parseTranscriptEvents(
    [
      '# 1.0 connection 1 opened',
      '> 1.1 1',
      '{"id":7,"method":"objects/subscribe","params":{}}.',
      '> 1.2 1',
      '{"id":7,"method":"info","params":{}}.',
      '< 1.3 1',
      '{"id":7,"result":{"state":"ready"}}.',
      '< 1.4 1',
      '{"id":7,"result":{"eventtime":1,"status":{}}}.',
      '> 1.5 1',
      '{"id":8,"method":"info","params":{}}.',
      '# 1.6 connection 1 closed by Klippy',
      '# 1.7 connection 2 opened',
      '< 1.8 1',
      '{"id":8,"result":{}}.',
    ].join('\n'),
  );
  const pairs = pairReplies(events);
  const method = (i: number | undefined) => (i === undefined ? undefined : (events[i] as unknown as { message: { method: string } }).message.method);
  const replies = events.flatMap((e, i) => (e.kind === 'frame' && e.direction === '<' ? [i] : []));
  assert.deepEqual(replies.map((i) => method(pairs.get(i))), ['info', 'objects/subscribe', undefined]);
});

test('shape comparison ignores values but not fields or types', () => {
  assert.deepEqual(shapeDifferences({ a: 1, b: 'x', c: [1.5], d: null }, { a: 2, b: 'y', c: [3], d: 5 }), []);
  assert.deepEqual(shapeDifferences({ a: 1, b: { c: true } }, { a: '1', b: {} }), ['$.a: expected number, got string', '$.b.c: missing']);
});

test('the three recordings are in the fixtures', () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.log'));
  assert.deepEqual(fixtures.sort(), ['moonraker-new_klippy-current.log', 'moonraker-old_klippy-current.log', 'moonraker-old_klippy-old.log']);
});

describe('replay on the virtual Klippy configured like the recorded printer', { concurrency: true }, () => {
  for (const file of logs) {
    test(file, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'replay-'));
      try {
        const problems = await replayTranscript(readFileSync(join(DIR, file), 'utf8'), { dir, known: KNOWN[file] ?? [] });
        assert.deepEqual(problems, []);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
