// A component's config section on a running server: a bad value in an optional component's
// section costs that component (failed_components, a warning naming the line), not the server;
// the core components' sections reach server.config typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../helpers/testStack.js';

test('a bad [octoprint_compat] value: the component fails with a warning naming the line, the server runs on', async (t) => {
  const s = await startStack({ extraConfig: '[octoprint_compat]\nflip_h: sideways\n[job_queue]\nload_on_startup: True\n' });
  t.after(() => s.close());
  await s.waitReady();
  const info = (await s.http('GET', '/server/info')).body.result;
  assert.ok(info.failed_components.includes('octoprint_compat'), JSON.stringify(info.failed_components));
  assert.ok(!info.components.includes('octoprint_compat'));
  assert.ok(info.components.includes('job_queue'));
  const warning = (info.warnings as string[]).find((w) => w.includes("'octoprint_compat' failed to load"));
  assert.match(warning ?? '', /config:\d+: \[octoprint_compat\] flip_h: "sideways" is not true or false/);
  // Its endpoints are not served; the others are.
  assert.equal((await s.http('GET', '/api/version')).status, 404);
  const cfg = (await s.http('GET', '/server/config')).body.result;
  assert.equal(cfg.config.job_queue.load_on_startup, true);
  assert.equal(cfg.orig.job_queue.load_on_startup, 'True');
  assert.equal(cfg.config.octoprint_compat.flip_h, 'sideways');
});
