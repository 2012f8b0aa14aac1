// docs/api-reference.md is generated from the registry of a real server, and api-ref:check (in
// npm test) fails once the registry and the file disagree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function apiRef(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/apiReference.ts', ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('the reference lists each endpoint with its route, transports, parameters and description; a spoiled copy fails the check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-api-ref-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'api-reference.md');

  const written = await apiRef(`--out=${out}`);
  assert.equal(written.code, 0, written.stderr);
  const text = readFileSync(out, 'utf8');
  assert.match(text, /^## server\.files$/m);
  assert.match(text, /^\| `server\.files\.list` \| GET `\/server\/files\/list` \| yes \| `root`: string = `"gcodes"` \| Every file of a root/m);
  assert.match(text, /^\| `server\.connection\.identify` \| — \| yes \| `client_name`: string, required<br>/m);
  assert.match(text, /^\| `octoprint\.api\.version` \| GET `\/api\/version` \(bare result\) \| no \|/m);
  assert.ok(!text.includes(dir), 'no temp path leaks into the reference');

  // One endpoint described differently from the registry: the check must notice.
  writeFileSync(out, text.replace('Every file of a root', 'Some files of a root'));
  const stale = await apiRef('--check', `--out=${out}`);
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /out of date/);

  writeFileSync(out, text);
  const fresh = await apiRef('--check', `--out=${out}`);
  assert.equal(fresh.code, 0, fresh.stderr);
});
