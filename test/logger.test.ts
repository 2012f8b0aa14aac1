// Issue 12, fault 12: the log file was never written again after one disk-full error. On a
// real, tiny tmpfs: fill it, log until the file fails, free the space, and the next lines reach
// the file again, with a note of what was lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSink } from '../src/logger.js';
import { canMount } from './helpers/tmpfs.js';


/** Fills the file system under `dir` with a file of its own; returns that file's path. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const chunk = Buffer.alloc(4096, 1);
  let data = Buffer.alloc(0);
  for (;;) {
    try {
      data = Buffer.concat([data, chunk]);
      writeFileSync(filler, data);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      return filler;
    }
  }
}

test('the log file is written again once a full disk has room', { skip: !canMount() && 'needs root to mount a small tmpfs' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-log-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', dir]);
  try {
    const sink = new LogSink();
    sink.console = false;
    const file = join(dir, 'logs', 'moonstate.log');
    sink.attachFile(file, { retryMs: 0 });
    sink.write('info', 'test', 'before the disk filled');
    await new Promise((r) => setTimeout(r, 50));
    const filler = fill(dir);
    // Log until the file fails (a write fails asynchronously, so give each a turn).
    for (let i = 0; i < 1000 && sink.fileWritable; i++) {
      sink.write('info', 'test', `while full ${i} ${'.'.repeat(200)}`);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(sink.fileWritable, false, 'the file failed on the full disk');
    for (let i = 0; i < 5; i++) sink.write('info', 'test', `lost ${i}`);

    rmSync(filler);
    sink.write('warn', 'test', 'after the space returned');
    assert.equal(sink.fileWritable, true);
    await sink.close();
    const text = readFileSync(file, 'utf8');
    assert.match(text, /before the disk filled/);
    assert.match(text, /log file written again; about \d+ lines were lost \(ENOSPC\)/);
    assert.match(text, /\[warn\] test: after the space returned\n$/);
  } finally {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});
