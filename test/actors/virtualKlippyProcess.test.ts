// The embedded virtual Klippy must not outlive its server: the server (a real child process)
// is killed with SIGKILL, so it runs no cleanup of its own, and its virtual Klippy must then
// stop by itself and remove its private folder (the socket's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { ServerProcess } from '../helpers/serverProcess.js';

/** Processes whose parent is `ppid`, with their command lines (Linux /proc). */
function childrenOf(ppid: number): Array<{ pid: number; argv: string[] }> {
  const out: Array<{ pid: number; argv: string[] }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 4 of stat is the parent pid; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === ppid) out.push({ pid: Number(name), argv: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0') });
    } catch {
      /* the process is gone */
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    // A zombie (exited, not yet reaped by its new parent) counts as gone.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kill -9 of the server: its virtual Klippy exits and its temp folder is removed', { skip: process.platform !== 'linux' }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'moonstate-orphan-'));
  const server = await ServerProcess.start(data);
  let simPid: number | undefined;
  try {
    await server.ready();
    const sims = childrenOf(server.child.pid!).filter((c) => c.argv.some((a) => a.includes('moonstateSim')));
    assert.equal(sims.length, 1, 'one virtual Klippy child');
    const sim = sims[0]!;
    simPid = sim.pid;
    const socketPath = sim.argv[sim.argv.indexOf('--socket') + 1]!;
    const privateDir = dirname(socketPath);
    assert.ok(existsSync(socketPath));

    const exited = once(server.child, 'exit');
    server.child.kill('SIGKILL');
    await exited;

    await until('the virtual Klippy exiting', () => !alive(sim.pid));
    await until('its private folder going away', () => !existsSync(privateDir));
  } finally {
    if (simPid !== undefined && alive(simPid)) process.kill(simPid, 'SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
});

test('a private folder left when server and virtual Klippy both died is removed at the next start; live ones are kept', async () => {
  // A pid that is certainly gone: a child that has exited and been reaped.
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
  const stale = mkdtempSync(join(tmpdir(), 'moonstate-'));
  writeFileSync(join(stale, 'owner.pid'), String(deadPid));
  writeFileSync(join(stale, 'klippy.sock'), '');
  const live = mkdtempSync(join(tmpdir(), 'moonstate-'));
  writeFileSync(join(live, 'owner.pid'), String(process.pid));
  // Being set up by another server right now: no owner file yet.
  const fresh = mkdtempSync(join(tmpdir(), 'moonstate-'));
  const data = mkdtempSync(join(tmpdir(), 'moonstate-orphan-'));
  const server = await ServerProcess.start(data);
  try {
    assert.equal(existsSync(stale), false, 'the stale folder is still there');
    assert.ok(existsSync(live));
    assert.ok(existsSync(fresh));
  } finally {
    await server.stop();
    for (const d of [stale, live, fresh, data]) rmSync(d, { recursive: true, force: true });
  }
});
