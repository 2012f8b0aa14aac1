// The component contract end to end: which components load follows the config, server.info's
// components and failed_components come from what really loaded, an optional component that
// fails (a bad option, a start that throws) is reported and the server runs on without it, a
// core one that fails stops startup and leaves nothing running, and stop runs in reverse order.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startStack } from '../helpers/testStack.js';
import { RpcClient } from '../helpers/rpcClient.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { startServer } from '../../src/server.js';
import { COMPONENTS, COMPONENT_OPTIONS, componentSections } from '../../src/components/index.js';
import { defineComponent } from '../../src/components/component.js';
import { fileManager } from '../../src/components/file_manager/index.js';
import { rpc } from '../../src/transport/endpointRegistry.js';
import { opt } from '../../src/config/options.js';

type ServerInfo = { components: string[]; failed_components: string[]; warnings: string[] };

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('an optional component with a bad option fails alone: failed_components, a warning, its endpoints gone, the rest serves', async (t) => {
  const s = await startStack({ extraConfig: '[octoprint_compat]\nenable_ufp: maybe\n' });
  t.after(() => s.close());
  const info = (await s.http('GET', '/server/info')).body.result;
  assert.deepEqual(info.failed_components, ['octoprint_compat']);
  assert.ok(!info.components.includes('octoprint_compat'));
  // The warning names the line, as a bad value in a core section would stop startup naming it.
  assert.ok(info.warnings.some((w: string) => /octoprint_compat.*failed to load: config:\d+: \[octoprint_compat\] enable_ufp/.test(w)), info.warnings.join('\n'));
  assert.equal((await s.http('GET', '/api/version')).status, 404);
  assert.equal((await s.http('POST', '/api/files/local')).status, 404, "OctoPrint's upload path goes with the component");
  // Everything else is there.
  for (const c of ['file_manager', 'history', 'job_queue', 'webcam', 'authorization', 'klippy_apis']) assert.ok(info.components.includes(c), c);
  assert.equal((await s.http('GET', '/server/files/list?root=gcodes')).status, 200);
  await s.waitReady();
  const ws = await s.ws();
  assert.equal((await ws.call('printer.info')).state, 'ready');
});

test('optional components load by their section, as in Moonraker; core ones always', async (t) => {
  const without = await startStack();
  t.after(() => without.close());
  const info = (await without.http('GET', '/server/info')).body.result;
  assert.ok(!info.components.includes('octoprint_compat'));
  assert.deepEqual(info.failed_components, []);
  assert.equal((await without.http('GET', '/api/version')).status, 404);

  const withIt = await startStack({ extraConfig: '[octoprint_compat]\nflip_h: True\n' });
  t.after(() => withIt.close());
  const info2 = (await withIt.http('GET', '/server/info')).body.result;
  assert.ok(info2.components.includes('octoprint_compat'));
  assert.equal((await withIt.http('GET', '/api/version')).status, 200);
  // Its options, typed with Moonraker's defaults, as server.config reports them.
  const cfg = (await withIt.http('GET', '/server/config')).body.result;
  assert.equal(cfg.config.octoprint_compat.flip_h, true);
  assert.equal(cfg.config.octoprint_compat.enable_ufp, true);
  assert.equal(cfg.orig.octoprint_compat.flip_h, 'True');
});

/** A data folder and config text for an in-process server with extra components. */
function setup(extra: string) {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-components-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const text = `[server]\nhost: 127.0.0.1\nport: 0\n[virtual_klippy]\nstartup_delay: 0\n[authorization]\ntrusted_clients: 127.0.0.0/8, ::1\n${extra}`;
  return { dir, text };
}

test('a component added by an embedder: endpoints and lookup work, a start that throws drops only it, stop runs in reverse order', async () => {
  const { dir, text } = setup('[greeter]\ngreeting: hi\n[flaky]\n');
  const journal = join(dir, 'journal.txt');
  const note = (line: string) => appendFileSync(journal, `${line}\n`);
  const greeter = defineComponent({
    name: 'greeter',
    optional: true,
    sections: { greeter: { greeting: opt.string('hello') } },
    create(k, options) {
      // A component finds the others it needs through the kernel.
      const files = k.lookup(fileManager);
      return {
        endpoints: [
          rpc({
            method: 'server.greeter.hello',
            description: 'Greets, and names a root it got from the file manager',
            http: { verbs: ['GET'], path: '/server/greeter/hello' },
            params: {},
            handler: () => ({ greeting: options.greeter.greeting, roots: files.roots.available().map((r) => r.name) }),
          }),
        ],
        start: () => note('greeter start'),
        stop: () => note('greeter stop'),
      };
    },
  });
  const flaky = defineComponent({
    name: 'flaky',
    optional: true,
    create: () => ({
      endpoints: [rpc({ method: 'server.flaky.ping', description: 'never served', http: { verbs: ['GET'], path: '/server/flaky/ping' }, params: {}, handler: () => 'pong' })],
      start: () => {
        throw new Error('the device it drives is not there');
      },
      stop: () => note('flaky stop'),
    }),
  });
  const late = defineComponent({
    name: 'late',
    optional: true,
    create: () => ({ start: () => note('late start'), stop: () => note('late stop') }),
  });
  const { config } = loadConfig({ text, dataPath: join(dir, 'data'), componentOptions: componentSections([...COMPONENTS, greeter, flaky, late]) });
  assert.deepEqual(config.warnings, []);
  const server = await startServer({ config, logToFile: false, unixSocketPath: false, components: [...COMPONENTS, greeter, flaky, late] });
  let closed = false;
  try {
    const info = ((await (await fetch(`${server.url}/server/info`)).json()) as { result: ServerInfo }).result;
    assert.ok(info.components.includes('greeter'));
    // `late` has no section: an optional component the config does not ask for is not loaded.
    assert.ok(!info.components.includes('late'));
    assert.deepEqual(info.failed_components, ['flaky']);
    assert.ok(info.warnings.some((w: string) => /flaky.*the device it drives is not there/.test(w)));
    const hello = ((await (await fetch(`${server.url}/server/greeter/hello`)).json()) as { result: { greeting: string; roots: string[] } }).result;
    assert.equal(hello.greeting, 'hi');
    assert.ok(hello.roots.includes('gcodes'));
    assert.equal((await fetch(`${server.url}/server/flaky/ping`)).status, 404);
    const ws = await RpcClient.connect(server.url.replace(/^http/, 'ws') + '/websocket');
    await assert.rejects(ws.call('server.flaky.ping'), /Method not found/);
    assert.equal((await ws.call('server.greeter.hello')).greeting, 'hi');
    await ws.close();
    await server.close();
    closed = true;
    // The failed one was stopped when it failed; the others stop in reverse order of start.
    assert.deepEqual(readFileSync(journal, 'utf8').trim().split('\n'), ['greeter start', 'flaky stop', 'greeter stop']);
  } finally {
    if (!closed) await server.close();
  }
});

test('a core component that fails stops startup with its reason, and leaves nothing listening or locked', async () => {
  const { dir, text } = setup('');
  const broken = defineComponent({
    name: 'broken_core',
    create: () => ({
      start: () => {
        throw new Error('cannot open its device');
      },
    }),
  });
  const { config } = loadConfig({ text, dataPath: join(dir, 'data'), componentOptions: COMPONENT_OPTIONS });
  await assert.rejects(startServer({ config, logToFile: false, unixSocketPath: false, components: [...COMPONENTS, broken] }), /cannot open its device/);
  // The same data folder opens again at once: the database and the virtual Klippy were let go.
  const again = await startServer({ config: loadConfig({ text, dataPath: join(dir, 'data'), componentOptions: COMPONENT_OPTIONS }).config, logToFile: false, unixSocketPath: false });
  try {
    const info = ((await (await fetch(`${again.url}/server/info`)).json()) as { result: ServerInfo }).result;
    assert.deepEqual(info.failed_components, []);
  } finally {
    await again.close();
  }
});

test('a server whose port is taken fails to start and lets go of everything: components, the virtual Klippy, the database', async () => {
  const { dir, text } = setup('');
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  try {
    const taken = loadConfig({ text: text.replace('port: 0', `port: ${port}`), dataPath: join(dir, 'data'), componentOptions: COMPONENT_OPTIONS }).config;
    await assert.rejects(startServer({ config: taken, logToFile: false, unixSocketPath: false }), /EADDRINUSE/);
  } finally {
    holder.close();
  }
  // No virtual Klippy left behind (it is a child process of ours).
  const children = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  assert.ok(!/moonstateSim|virtualKlippy/.test(children), children);
  // The database's lock is free: the same data folder serves at once.
  const again = await startServer({ config: loadConfig({ text, dataPath: join(dir, 'data'), componentOptions: COMPONENT_OPTIONS }).config, logToFile: false, unixSocketPath: false });
  await again.close();
});
