// Replays the requests of recorded real Klippy traffic against the virtual Klippy and checks that
// every reply has the recorded fields with the same JSON types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { VirtualKlippy } from '../../src/sim/virtualKlippy.js';
import { KlippySocket } from '../../src/actors/klippySocket.actor.js';
import { parseTranscript, shapeDifferences } from '../helpers/transcript.js';

const DIR = resolve(process.env.MOONSTATE_TRANSCRIPTS ?? '../shared/reference/transcripts');
const logs = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.log')) : [];

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

test('shape comparison ignores values but not fields or types', () => {
  assert.deepEqual(shapeDifferences({ a: 1, b: 'x', c: [1.5], d: null }, { a: 2, b: 'y', c: [3], d: 5 }), []);
  assert.deepEqual(shapeDifferences({ a: 1, b: { c: true } }, { a: '1', b: {} }), ['$.a: expected number, got string', '$.b.c: missing']);
});

for (const file of logs) {
  test(`replay ${file}: every reply of the virtual Klippy has the recorded shape`, async () => {
    const frames = parseTranscript(readFileSync(join(DIR, file), 'utf8'));
    const requests = frames.filter((f) => f.direction === '>' && typeof f.message.method === 'string');
    const replies = new Map(frames.filter((f) => f.direction === '<' && 'id' in f.message).map((f) => [JSON.stringify(f.message.id), f.message]));
    const dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const sim = new VirtualKlippy({ socketPath: join(dir, 'k.sock'), timeScale: 50, startupDelayMs: 0, gcodesPath: join(dir, 'gcodes') });
    await sim.start();
    await new Promise((r) => setTimeout(r, 50));
    const sock = await KlippySocket.connect(join(dir, 'k.sock'));
    const problems: string[] = [];
    try {
      for (const req of requests) {
        const method = req.message.method as string;
        // Restarts would drop the socket mid-replay; their replies are `{}` in every era.
        if (/restart$/.test(method) || method === 'emergency_stop') continue;
        const recorded = replies.get(JSON.stringify(req.message.id));
        if (!recorded || !('result' in recorded)) continue;
        const ours = await sock.request(method, (req.message.params ?? {}) as Record<string, unknown>).catch((e: Error) => ({ __error: e.message }));
        // Printer objects differ by config: compare objects both sides have.
        const diffs = shapeDifferences(recorded.result, ours, `${method}`, (p) => /\.status$/.test(p) || p.endsWith('objects/list'));
        problems.push(...diffs);
      }
    } finally {
      sock.close();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(problems, []);
  });
}

test('recorded transcripts are present to replay', { skip: logs.length === 0 ? `no *.log in ${DIR} (only its README is there)` : false }, () => {
  assert.ok(logs.length > 0);
});
