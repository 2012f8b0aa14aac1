// With the virtual Klippy really printing: print=true starts a print, and the file being
// printed (and its folder) is protected until the print ends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { eventually, rawRequest, upload } from '../helpers/fileClient.js';
import { FILE_IN_USE } from '../../src/fs/fileInUse.js';
import { fileManager } from '../../src/components/file_manager/index.js';

let s: Stack;

before(async () => {
  s = await startStack();
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
});
after(() => s.close());

const printState = () => s.server.kernel.subscriptions.current('print_stats')?.state;

test('print=true starts the print through Klippy; while it runs the file and its folder are in use', async () => {
  // Slow moves keep the print running for the whole test (and let a cancel in between them).
  const job = 'G28\n' + 'G1 X10 F60\nG1 X0 F60\n'.repeat(300);
  const r = await upload(s.url, { filename: 'job.gcode', path: 'jobs', content: job, print: 'true' });
  assert.deepEqual(r.json, { result: 'jobs/job.gcode', print_started: true });
  await eventually(() => printState() === 'printing', 5000, 'print_stats printing');
  assert.equal(s.server.kernel.subscriptions.current('print_stats')?.filename, 'jobs/job.gcode');
  assert.equal(s.server.kernel.lookup(fileManager).inUse.activeFile(), 'jobs/job.gcode');

  const refused = async (p: Promise<{ status: number; json: { error: { message: string } } }>) => {
    const res = await p;
    assert.equal(res.status, 403);
    assert.equal(res.json.error.message, FILE_IN_USE);
  };
  await refused(rawRequest(s.url, 'DELETE', '/server/files/gcodes/jobs/job.gcode'));
  await refused(rawRequest(s.url, 'DELETE', '/server/files/directory?path=gcodes/jobs&force=true'));
  await refused(rawRequest(s.url, 'POST', '/server/files/move?source=gcodes/jobs&dest=gcodes/elsewhere'));
  await refused(upload(s.url, { filename: 'job.gcode', path: 'jobs', content: 'G28\n' }));
  assert.equal(readFileSync(join(s.gcodesPath, 'jobs', 'job.gcode'), 'utf8'), job);

  // A second print=true while printing uploads the file but starts nothing.
  const second = await upload(s.url, { filename: 'next.gcode', content: 'G28\n', print: 'true' });
  assert.deepEqual(second.json, { result: 'next.gcode', print_started: false });
  assert.equal(s.server.kernel.subscriptions.current('print_stats')?.filename, 'jobs/job.gcode');

  await s.http('POST', '/printer/gcode/script?script=CANCEL_PRINT');
  await eventually(() => printState() === 'cancelled', 5000, 'print cancelled');
  assert.deepEqual((await s.http('DELETE', '/server/files/gcodes/jobs/job.gcode')).body, { result: 'jobs/job.gcode' });
});
