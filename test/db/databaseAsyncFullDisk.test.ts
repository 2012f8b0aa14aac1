// The metadata cache's background writes (putAsync/removeAsync) on a full disk: each one must
// settle, as a 507 (lmdb-js reports a failed background commit as a bare "Commit failed" whose
// cause sits in a second promise). A real 4 MiB tmpfs holds the store. The store runs in a child
// process: lmdb-js itself leaves a rejection of its own unheard on a failed commit, which the
// server's process guards log, and which would otherwise be charged to this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canMount } from '../helpers/tmpfs.js';


const databaseModule = fileURLToPath(new URL('../../src/db/database.ts', import.meta.url));

/** Fills the store until a write is refused, then makes three background writes; prints how each settled. */
const CHILD = `
import { Database } from ${JSON.stringify(databaseModule)};
process.on('unhandledRejection', () => undefined);
const db = new Database(process.argv[1], { asyncCommitBoundMs: 3000 });
let full = false;
for (let i = 0; i < 2000 && !full; i++) {
  try { db.put('fill', 'k' + i, 'x'.repeat(16 * 1024)); } catch (err) { full = err.kind === 'insufficient_storage'; if (!full) throw err; }
}
const settled = [];
for (let i = 0; i < 3; i++) {
  settled.push(await db.putAsync('metadata', 'big' + i, 'y'.repeat(200 * 1024)).then(() => 'ok', (e) => String(e.kind ?? e.message)));
}
settled.push(await db.removeAsync('fill', 'k0').then(() => 'ok', (e) => String(e.kind ?? e.message)));
console.log(JSON.stringify({ full, settled }));
process.exit(0);
`;

test('background writes on a full disk settle, as 507', { skip: !canMount() && 'needs root to mount a small tmpfs' }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-dbasyncfull-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
  t.after(() => {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, join(dir, 'db')], { encoding: 'utf8', timeout: 60_000 });
  // The child prints its result before it exits; lmdb-js's native side has been seen to abort on
  // the way out after a failed commit ("corrupted size vs. prev_size"), which is not this test's.
  const line = child.stdout.trim().split('\n').at(-1);
  assert.ok(line?.startsWith('{'), `no result from the child: ${child.stderr}`);
  const result = JSON.parse(line!) as { full: boolean; settled: string[] };
  assert.equal(result.full, true, 'the disk filled up');
  // Each write settled (none waits forever); the failed ones as a full disk (the error kind
  // transport answers with 507), not a bare failure.
  assert.equal(result.settled.length, 4);
  for (const s of result.settled.slice(0, 3)) assert.equal(s, 'insufficient_storage');
  assert.ok(['ok', 'insufficient_storage'].includes(result.settled[3]!), result.settled[3]);
});
