// npm run bench:startup: start-to-ready time and idle memory of the real command, as a user
// runs it (`node dist/src/cli/moonstate.js`, compiled; the npm script builds first), with the
// virtual Klippy. From spawn to the first HTTP answer, and to /printer/info saying "ready";
// then the resident memory of the server (and, apart, of its virtual Klippy) after a few
// idle seconds. Writes bench/results/startup.json and startup.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describeMachine, machineFacts, median, round, sleep, writeResults } from './benchLib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_SECONDS = 5;
const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'moonstate.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process, from /proc (kB → MiB). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? round(Number(m[1]) / 1024, 1) : NaN;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function oneStart(startupDelay: number, measureIdle: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'moonstate-bench-start-'));
  const port = await freePort();
  const conf = join(dir, 'moonstate.conf');
  writeFileSync(conf, `[server]\nhost: 127.0.0.1\nport: ${port}\n[virtual_klippy]\nstartup_delay: ${startupDelay}\n`);
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [CLI, '-c', conf, '-d', join(dir, 'data')], { stdio: 'ignore' });
  let listeningMs: number | undefined;
  let readyMs: number | undefined;
  try {
    while (readyMs === undefined) {
      if (performance.now() - t0 > 30_000) throw new Error('not ready within 30 s');
      try {
        const r = await fetch(`http://127.0.0.1:${port}/printer/info`);
        listeningMs ??= performance.now() - t0;
        const body = (await r.json()) as { result?: { state?: string } };
        if (body.result?.state === 'ready') readyMs = performance.now() - t0;
      } catch {
        /* not listening yet */
      }
      if (readyMs === undefined) await sleep(5);
    }
    let idle: { serverRssMiB: number; virtualKlippyRssMiB: number } | undefined;
    if (measureIdle) {
      await sleep(IDLE_SECONDS * 1000);
      const sim = childrenOf(child.pid!)[0];
      idle = { serverRssMiB: rssMiB(child.pid!), virtualKlippyRssMiB: sim ? rssMiB(sim) : NaN };
    }
    return { listeningMs: round(listeningMs!, 0), readyMs: round(readyMs, 0), idle };
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const machine = machineFacts();
  const series = [];
  for (const startupDelay of [0, 0.5]) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await oneStart(startupDelay, startupDelay === 0 && i === 0));
    console.log(startupDelay, runs);
    series.push({
      virtualKlippyStartupDelayS: startupDelay,
      runs,
      listeningMsMedian: median(runs.map((r) => r.listeningMs)),
      readyMsMedian: median(runs.map((r) => r.readyMs)),
    });
  }
  const idle = series[0]!.runs[0]!.idle!;
  const results = { machine, runs: RUNS, idleSeconds: IDLE_SECONDS, series, idle };
  const md = `# Start-to-ready and idle memory benchmark

\`npm run bench:startup\` on ${describeMachine(machine)}.
The compiled command (\`node dist/src/cli/moonstate.js -c FILE -d DIR\`) with its virtual
Klippy, spawned fresh each time; times from spawn until \`/printer/info\` first answers, and until
it says \`"state": "ready"\` (polled every 5 ms); median of ${RUNS}. The virtual Klippy's
\`startup_delay\` (time it reports "startup", like a real Klippy connecting its MCU) is part of
the ready time, so both 0 and the default 0.5 s are shown.

| virtual Klippy startup_delay | first HTTP answer | Klippy ready |
|---|---|---|
${series.map((s) => `| ${s.virtualKlippyStartupDelayS} s | ${s.listeningMsMedian} ms | ${s.readyMsMedian} ms |`).join('\n')}

Idle resident memory ${IDLE_SECONDS} s after ready: server ${idle.serverRssMiB} MiB, its virtual Klippy
(a separate process) ${idle.virtualKlippyRssMiB} MiB. Memory under load is in ws.md and http.md
(those servers run from the TypeScript sources under tsx, which adds to their RSS).
`;
  writeResults('startup', results, md);
}

await main();
