// Every path argument of every file endpoint, attacked: "..", encoded "%2e%2e", absolute paths,
// the sibling folder whose name starts like the root, NUL bytes and symlinks out of the root.
// Each attempt must be refused with 400/403 (never 500) and nothing outside the root may
// change. Then read-only roots, and files Klippy is printing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/testStack.js';
import { RpcError, type RpcClient } from '../helpers/rpcClient.js';
import { rawRequest, upload } from '../helpers/fileClient.js';
import { createActor } from 'xstate';
import { FileInUse, FILE_IN_USE } from '../../src/fs/fileInUse.js';
import { printJobMachine, type PrintStats } from '../../src/machines/printJob.machine.js';
import { fileManager } from '../../src/components/file_manager/index.js';
import { jobState } from '../../src/components/job_state/index.js';

let s: Stack;
let ws: RpcClient;
let data: string;
let gcodes: string;
let configDir: string;

function outsideSnapshot(): string {
  const list = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() && !e.isSymbolicLink() ? list(join(d, e.name)).map((x) => `${e.name}/${x}`) : [e.name]));
  return JSON.stringify({ evil: list(join(data, 'gcodes_evil')), secret: readFileSync(join(data, 'secret.txt'), 'utf8'), top: readdirSync(data).sort() });
}

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'moonstate-config-'));
  s = await startStack({ extraConfig: `[file_manager]\nconfig_path: ${configDir}\n` });
  await s.waitReady();
  data = join(s.dir, 'data');
  gcodes = s.gcodesPath;
  mkdirSync(join(data, 'gcodes_evil'));
  writeFileSync(join(data, 'gcodes_evil', 'x.gcode'), 'EVIL\n');
  writeFileSync(join(data, 'secret.txt'), 'secret\n');
  writeFileSync(join(gcodes, 'inside.gcode'), 'G28\n');
  symlinkSync(data, join(gcodes, 'escape'));
  symlinkSync(join(data, 'secret.txt'), join(gcodes, 'link.gcode'));
  await s.server.kernel.lookup(fileManager).settled();
  ws = await s.ws();
});
after(async () => {
  await s.close();
  rmSync(configDir, { recursive: true, force: true });
});

/** Hostile spellings of a path that leads out of the gcodes root, as a root-relative path. */
const RELATIVE_ATTACKS = ['../secret.txt', 'sub/../../secret.txt', '../gcodes_evil/x.gcode', '/etc/passwd', 'escape/secret.txt', 'link.gcode', 'escape/gcodes_evil/x.gcode', 'a\0b.gcode'];
/** The same with the root prefix, plus the sibling root name. */
const PREFIXED_ATTACKS = [
  'gcodes/../secret.txt',
  'gcodes/sub/../../secret.txt',
  'gcodes/../gcodes_evil/x.gcode',
  'gcodes/escape/secret.txt',
  'gcodes/link.gcode',
  'gcodes/escape/gcodes_evil/x.gcode',
  'gcodes/a\0b.gcode',
  'gcodes_evil/x.gcode',
  '../data/secret.txt',
  '/etc/passwd',
  '/../secret.txt',
];

function refusedStatus(status: number, what: string): void {
  assert.ok(status === 400 || status === 403, `${what}: status ${status}`);
}

async function refusedRpc(method: string, params: Record<string, unknown>): Promise<void> {
  try {
    await ws.call(method, params);
  } catch (e) {
    assert.ok(e instanceof RpcError, String(e));
    refusedStatus(e.code, `${method} ${JSON.stringify(params)}`);
    assert.ok(e.message.length > 0);
    assert.ok(!e.message.includes(s.dir), `${method}: a server path in ${e.message}`);
    return;
  }
  assert.fail(`${method} ${JSON.stringify(params)} was accepted`);
}

test('rpc path arguments: list root, metadata filename, directory path, move/copy source and dest, delete_file path', async () => {
  const before = outsideSnapshot();
  for (const root of ['../data', 'gcodes_evil', '/etc', 'gcodes/..']) await refusedRpc('server.files.list', { root });
  for (const filename of RELATIVE_ATTACKS) {
    await refusedRpc('server.files.metadata', { filename });
    const r = await s.http('GET', `/server/files/metadata?filename=${encodeURIComponent(filename)}`);
    refusedStatus(r.status, `metadata ${filename}`);
  }
  const r = await rawRequest(s.url, 'GET', '/server/files/metadata?filename=%2e%2e/secret.txt');
  refusedStatus(r.status, 'metadata %2e%2e');
  for (const path of PREFIXED_ATTACKS) {
    await refusedRpc('server.files.get_directory', { path });
    await refusedRpc('server.files.post_directory', { path: `${path}/newdir` });
    await refusedRpc('server.files.delete_directory', { path, force: true });
    await refusedRpc('server.files.delete_file', { path });
    await refusedRpc('server.files.move', { source: path, dest: 'gcodes/moved.gcode' });
    await refusedRpc('server.files.move', { source: 'gcodes/inside.gcode', dest: path });
    await refusedRpc('server.files.copy', { source: path, dest: 'gcodes/copied.gcode' });
    await refusedRpc('server.files.copy', { source: 'gcodes/inside.gcode', dest: path });
    for (const [verb, url] of [
      ['GET', `/server/files/directory?path=${encodeURIComponent(path)}`],
      ['POST', `/server/files/directory?path=${encodeURIComponent(path + '/x')}`],
      ['DELETE', `/server/files/directory?path=${encodeURIComponent(path)}&force=true`],
      ['POST', `/server/files/move?source=${encodeURIComponent(path)}&dest=gcodes/m.gcode`],
      ['POST', `/server/files/copy?source=gcodes/inside.gcode&dest=${encodeURIComponent(path)}`],
    ] as const) {
      const res = await rawRequest(s.url, verb, url);
      refusedStatus(res.status, `${verb} ${url}`);
    }
  }
  // Encoded dots in the query string are dots.
  const enc = await rawRequest(s.url, 'POST', '/server/files/copy?source=gcodes/inside.gcode&dest=gcodes/%2e%2e/gcodes_evil/y.gcode');
  refusedStatus(enc.status, 'copy to %2e%2e');
  assert.equal(outsideSnapshot(), before, 'nothing outside the root changed');
  assert.ok(existsSync(join(gcodes, 'inside.gcode')));
  assert.ok(!existsSync(join(gcodes, 'moved.gcode')) && !existsSync(join(gcodes, 'copied.gcode')));
});

test('download and HTTP delete URLs: "..", %2e%2e, encoded slashes, NUL, symlinks', async () => {
  const before = outsideSnapshot();
  const urls = [
    '/server/files/gcodes/../secret.txt',
    '/server/files/gcodes/%2e%2e/secret.txt',
    '/server/files/gcodes/%2E%2E/gcodes_evil/x.gcode',
    '/server/files/gcodes/..%2fsecret.txt',
    '/server/files/gcodes/%2e%2e%2f%2e%2e%2fdata%2fsecret.txt',
    '/server/files/gcodes/sub/..%2F..%2Fsecret.txt',
    '/server/files/gcodes/escape/secret.txt',
    '/server/files/gcodes/link.gcode',
    '/server/files/gcodes/x%00.gcode',
  ];
  for (const url of urls) {
    const get = await rawRequest(s.url, 'GET', url);
    refusedStatus(get.status, `GET ${url}`);
    assert.ok(get.json?.error?.message, `GET ${url}: ${get.text}`);
    assert.ok(!get.text.includes('EVIL') && !get.text.includes('secret\n'), `GET ${url} leaked: ${get.text}`);
    const del = await rawRequest(s.url, 'DELETE', url);
    refusedStatus(del.status, `DELETE ${url}`);
    for (const r of [get, del]) assert.ok(!r.text.includes(s.dir), `${url}: a server path in ${r.text}`);
  }
  // A sibling folder is no root: nothing there exists for a download (404, Moonraker's answer).
  const sibling = await rawRequest(s.url, 'GET', '/server/files/gcodes_evil/x.gcode');
  assert.equal(sibling.status, 404);
  assert.ok(!sibling.text.includes('EVIL'));
  refusedStatus((await rawRequest(s.url, 'DELETE', '/server/files/gcodes_evil/x.gcode')).status, 'DELETE gcodes_evil');
  assert.equal(outsideSnapshot(), before);
  // The symlink itself can still be deleted: it lives inside the root.
  assert.ok(existsSync(join(gcodes, 'link.gcode')));
});

test('HTTP delete: the URL names the file; query and body cannot redirect it, encoded segments cannot leave the root', async () => {
  const victim = join(configDir, 'victim.cfg');
  writeFileSync(victim, '[printer]\n');
  const before = outsideSnapshot();
  // The URL (what a user, a log or a proxy rule sees) names a missing gcode file; the query and a
  // JSON body name a real file of another root, and a way out of the root.
  const body = JSON.stringify({ root: 'config', path: '../secret.txt' });
  const redirected = await rawRequest(
    s.url,
    'DELETE',
    '/server/files/gcodes/missing.gcode?root=config&path=victim.cfg',
    { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    body,
  );
  assert.equal(redirected.status, 404, redirected.text);
  assert.ok(existsSync(victim), 'the file named only by query and body was deleted');
  for (const url of [
    '/server/files/gcodes/a%2F..%2F..%2Fsecret.txt',
    '/server/files/gcodes/a/%2E%2E/%2e%2e/secret.txt',
    '/server/files/gcodes/%2E%2E',
    '/server/files/%2E%2E/secret.txt',
    '/server/files/gcodes%2F..%2F..%2Fdata/secret.txt',
    '/server/files/config/..%2F..%2Fdata%2Fsecret.txt',
  ]) {
    const del = await rawRequest(s.url, 'DELETE', url);
    assert.ok(del.status >= 400 && del.status < 500, `DELETE ${url}: ${del.status} ${del.text}`);
    assert.ok(!del.text.includes(s.dir), `${url}: a server path in ${del.text}`);
  }
  assert.equal(outsideSnapshot(), before);
  assert.ok(existsSync(victim));
});

test('upload: the path field, the multipart filename and the root field', async () => {
  const before = outsideSnapshot();
  const attempts = [
    { filename: 'ok.gcode', path: '../gcodes_evil' },
    { filename: 'ok.gcode', path: '..' },
    { filename: 'ok.gcode', path: '//../gcodes_evil' },
    { filename: 'ok.gcode', path: 'escape/gcodes_evil' },
    { filename: 'ok.gcode', path: 'a\0b' },
    { filename: '../secret.txt' },
    { filename: '../../data/secret.txt' },
    { filename: 'sub/../../secret.txt' },
    { filename: '/etc/evil.gcode' },
    { filename: 'escape/gcodes_evil/x.gcode' },
    { filename: 'link.gcode' },
    { filename: 'ok.gcode', root: 'gcodes_evil' },
    { filename: 'ok.gcode', root: '../data' },
  ];
  for (const a of attempts) {
    for (const fieldsLast of [false, true]) {
      const r = await upload(s.url, { ...a, content: 'PWNED\n', fieldsLast });
      refusedStatus(r.status, `upload ${JSON.stringify(a)}`);
      assert.ok(r.json?.error?.message, 'a message says why');
      assert.ok(!r.text.includes(s.dir), `a server path in ${r.text}`);
    }
  }
  assert.equal(outsideSnapshot(), before);
  assert.equal(readFileSync(join(data, 'secret.txt'), 'utf8'), 'secret\n');
  assert.ok(!readdirSync(gcodes).some((n) => n.startsWith('.moonstate-upload-')), 'no temp file left');
  assert.ok(!existsSync(join(gcodes, 'ok.gcode')));

  // A leading slash on the path field names the root's own folder, as in Moonraker (Fluidd
  // sends path "/"): never the server's filesystem root.
  for (const [path, where] of [['/', 'slash.gcode'], ['/tmp', 'tmp/slash.gcode']] as const) {
    const r = await upload(s.url, { filename: 'slash.gcode', path, content: 'G28\n' });
    assert.ok(r.status < 300, `path ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    assert.equal(readFileSync(join(gcodes, where), 'utf8'), 'G28\n');
  }
  assert.equal(outsideSnapshot(), before);
});

test('listings do not follow symlinks out of the root', async () => {
  const list = (await s.http('GET', '/server/files/list')).body.result as Array<{ path: string }>;
  assert.ok(!list.some((f) => f.path.startsWith('escape/') || f.path === 'link.gcode'), JSON.stringify(list));
  const dir = (await s.http('GET', '/server/files/directory?path=gcodes')).body.result;
  assert.ok(!dir.dirs.some((d: { dirname: string }) => d.dirname === 'escape'));
});

test('a read-only root serves files and refuses every write with 405', async () => {
  const ex = mkdtempSync(join(tmpdir(), 'moonstate-examples-'));
  writeFileSync(join(ex, 'example.cfg'), '[example]\n');
  const files = s.server.kernel.lookup(fileManager);
  files.roots.set('config_examples', ex);
  try {
    assert.deepEqual((await s.http('GET', '/server/files/list?root=config_examples')).body.result.map((f: { path: string }) => f.path), ['example.cfg']);
    assert.equal(await (await fetch(`${s.url}/server/files/config_examples/example.cfg`)).text(), '[example]\n');
    const writes = [
      await upload(s.url, { filename: 'new.cfg', root: 'config_examples', content: 'x' }),
      await rawRequest(s.url, 'DELETE', '/server/files/config_examples/example.cfg'),
      await rawRequest(s.url, 'POST', '/server/files/directory?path=config_examples/sub'),
      await rawRequest(s.url, 'DELETE', '/server/files/directory?path=config_examples&force=true'),
      await rawRequest(s.url, 'POST', '/server/files/move?source=config_examples/example.cfg&dest=config/example.cfg'),
      await rawRequest(s.url, 'POST', '/server/files/copy?source=gcodes/inside.gcode&dest=config_examples/inside.gcode'),
    ];
    for (const w of writes) {
      assert.equal(w.status, 405, w.text);
      assert.match(w.json.error.message, /read-only/);
    }
    try {
      await ws.call('server.files.delete_file', { path: 'config_examples/example.cfg' });
      assert.fail('deleted from a read-only root');
    } catch (e) {
      assert.equal((e as RpcError).code, 405);
    }
    // Copying out of it is fine.
    assert.equal(await ws.call('server.files.copy', { source: 'config_examples/example.cfg', dest: 'config/example.cfg' }), 'ok');
    assert.equal(readFileSync(join(configDir, 'example.cfg'), 'utf8'), '[example]\n');
    assert.deepEqual(readdirSync(ex), ['example.cfg']);
  } finally {
    files.roots.set('config_examples', undefined);
    rmSync(ex, { recursive: true, force: true });
  }
});

test('the in-use rule asks the print job machine: printing or paused, with Klippy ready', async () => {
  // print_stats as the subscription really delivers it from Klippy, fed to a print job machine.
  const real = s.server.kernel.subscriptions.current('print_stats');
  assert.ok(real && 'filename' in real && 'state' in real, JSON.stringify(real));
  const job = createActor(printJobMachine).start();
  const report = (state: string) =>
    job.send({ type: 'PRINT_STATS', stats: { ...(real as unknown as PrintStats), filename: 'job/print.gcode', state }, at: 1, firstReport: false });
  let ready = true;
  const rule = new FileInUse({ klippyReady: () => ready, jobActive: () => job.getSnapshot().hasTag('jobActive'), filename: () => job.getSnapshot().context.job?.filename });
  report('printing');
  assert.equal(rule.activeFile(), 'job/print.gcode');
  assert.ok(rule.inUse('job/print.gcode') && rule.inUse('job') && rule.inUse(''));
  assert.ok(!rule.inUse('job/print.gcode.bak') && !rule.inUse('jo') && !rule.inUse('other.gcode'));
  assert.throws(() => rule.check('gcodes', 'job'), (e: Error) => e.message === FILE_IN_USE);
  rule.check('config', 'job/print.gcode');
  report('paused');
  assert.ok(rule.inUse('job/print.gcode') && rule.activeFile() === 'job/print.gcode');
  for (const state of ['complete', 'standby', 'cancelled', 'error']) {
    report('printing');
    report(state);
    assert.ok(!rule.inUse('job/print.gcode') && rule.activeFile() === undefined, state);
  }
  report('printing');
  ready = false;
  assert.ok(!rule.inUse('job/print.gcode'), 'Klippy not ready: nothing is in use');
  job.stop();
  // The real source: the virtual Klippy is idle.
  assert.equal(s.server.kernel.lookup(fileManager).inUse.activeFile(), undefined);
  assert.equal(real.state, 'standby');
});

test('a file being printed (or its folder) cannot be deleted, moved or overwritten; it can be copied', async () => {
  mkdirSync(join(gcodes, 'job'), { recursive: true });
  // A real print on the virtual Klippy: slow moves keep it running while we try everything.
  const printing = ['G28', ...Array.from({ length: 60 }, (_, i) => `G1 X${i % 2 ? 200 : 10} F600`)].join('\n') + '\n';
  writeFileSync(join(gcodes, 'job', 'print.gcode'), printing);
  writeFileSync(join(gcodes, 'other.gcode'), 'OTHER\n');
  const job = s.server.kernel.lookup(jobState).printJob;
  const waitJob = async (state: string) => {
    const deadline = Date.now() + 10_000;
    while (job.state !== state && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(job.state, state);
  };

  await ws.call('printer.print.start', { filename: 'job/print.gcode' });
  await waitJob('printing');
  try {
    const inUse = async (p: Promise<{ status: number; json: { error: { message: string } } }>) => {
      const r = await p;
      assert.equal(r.status, 403);
      assert.equal(r.json.error.message, FILE_IN_USE);
    };
    await inUse(rawRequest(s.url, 'DELETE', '/server/files/gcodes/job/print.gcode'));
    await inUse(rawRequest(s.url, 'DELETE', '/server/files/directory?path=gcodes/job&force=true'));
    await inUse(rawRequest(s.url, 'POST', '/server/files/move?source=gcodes/job/print.gcode&dest=gcodes/moved.gcode'));
    await inUse(rawRequest(s.url, 'POST', '/server/files/move?source=gcodes/job&dest=gcodes/job2'));
    await inUse(rawRequest(s.url, 'POST', '/server/files/move?source=gcodes/other.gcode&dest=gcodes/job/print.gcode'));
    await inUse(rawRequest(s.url, 'POST', '/server/files/copy?source=gcodes/other.gcode&dest=gcodes/job/print.gcode'));
    await inUse(upload(s.url, { filename: 'print.gcode', path: 'job', content: 'OVERWRITE\n' }));
    await inUse(upload(s.url, { filename: 'job/print.gcode', content: 'OVERWRITE\n', fieldsLast: true }));
    for (const [method, params] of [
      ['server.files.delete_file', { path: 'gcodes/job/print.gcode' }],
      ['server.files.delete_directory', { path: 'gcodes/job', force: true }],
      ['server.files.move', { source: 'gcodes/job', dest: 'gcodes/elsewhere' }],
    ] as const) {
      try {
        await ws.call(method, params);
        assert.fail(`${method} was allowed`);
      } catch (e) {
        assert.equal((e as RpcError).code, 403);
        assert.equal((e as RpcError).message, FILE_IN_USE);
      }
    }
    assert.equal(readFileSync(join(gcodes, 'job', 'print.gcode'), 'utf8'), printing);
    assert.ok(!readdirSync(join(gcodes, 'job')).some((n) => n.startsWith('.moonstate-upload-')));
    // Copying it away, and working on other files, is fine; an upload asked to print does not start one.
    assert.equal(await ws.call('server.files.copy', { source: 'gcodes/job/print.gcode', dest: 'gcodes/copy.gcode' }), 'ok');
    const other = await upload(s.url, { filename: 'next.gcode', content: 'G28\n', print: 'true' });
    assert.deepEqual(other.json, { result: 'next.gcode', print_started: false });
    await ws.call('printer.print.pause');
    await waitJob('paused');
    await inUse(rawRequest(s.url, 'DELETE', '/server/files/gcodes/job/print.gcode'));
    await ws.call('printer.print.cancel');
    await waitJob('cancelled');
    assert.deepEqual((await s.http('DELETE', '/server/files/gcodes/job/print.gcode')).body, { result: 'job/print.gcode' });
  } finally {
    if (job.state === 'printing' || job.state === 'paused') await ws.call('printer.print.cancel');
  }
});
