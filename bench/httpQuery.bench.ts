// npm run bench:http: GET /printer/objects/query under load from this process, the server in
// its own process with the virtual Klippy. Two kinds of query: one the live subscription of a
// web UI covers (answered from the cache) and one it does not (answered by Klippy on its next
// 0.25 s tick). Writes bench/results/http.json and http.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess } from '../test/helpers/serverProcess.js';
import { RpcClient } from '../test/helpers/rpcClient.js';
import { httpLoad } from './httpLoad.js';
import { describeMachine, machineFacts, mib, percentile, round, writeResults } from './benchLib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const work = mkdtempSync(join(tmpdir(), 'moonstate-bench-http-'));

const COVERED = '/printer/objects/query?toolhead=position,homed_axes&extruder=temperature,target&print_stats';
const UNCOVERED = '/printer/objects/query?gcode_move=speed,gcode_position';

async function main(): Promise<void> {
  const machine = machineFacts();
  const server = await ServerProcess.start(work);
  await server.settle();
  // What Mainsail subscribes to, roughly: the covered query reads a subset of it.
  const ui = await RpcClient.connect(server.wsUrl);
  await ui.call('printer.objects.subscribe', { objects: { toolhead: null, extruder: null, print_stats: null, webhooks: null } });
  const idle = await server.stats();

  const runs = [];
  for (const [name, path, connections, seconds] of [
    ['covered, 1 connection', COVERED, 1, SECONDS],
    ['covered, 16 connections', COVERED, 16, SECONDS],
    ['not covered (Klippy answers), 16 connections', UNCOVERED, 16, Math.min(SECONDS, 5)],
  ] as const) {
    // Warm up the connections and the JIT before measuring.
    await httpLoad(server.url + path, { connections, durationMs: 500 });
    await server.resetLoop();
    const before = await server.stats();
    const r = await httpLoad(server.url + path, { connections, durationMs: seconds * 1000 });
    const after = await server.stats();
    const loop = await server.loop();
    const run = {
      name,
      connections,
      requests: r.requests,
      errors: r.errors,
      requestsPerSecond: round(r.requestsPerSecond, 0),
      p50Ms: round(percentile(r.latenciesMs, 50), 2),
      p99Ms: round(percentile(r.latenciesMs, 99), 2),
      serverCpuSecondsPer1000: round(((after.cpuSeconds - before.cpuSeconds) / r.requests) * 1000, 3),
      serverRssMiB: mib(after.memory.rss),
      serverEventLoopMaxMs: round(loop.maxMs, 1),
    };
    console.log(run);
    runs.push(run);
  }
  await ui.close();
  await server.stop();

  const results = { machine, secondsPerRun: SECONDS, serverIdleRssMiB: mib(idle.memory.rss), runs, goal: 'covered p50 < 2 ms' };
  const rows = runs.map(
    (r) => `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.serverCpuSecondsPer1000} | ${r.serverRssMiB} | ${r.serverEventLoopMaxMs} |`,
  );
  const md = `# HTTP printer.objects.query benchmark

\`npm run bench:http\` on ${describeMachine(machine)}.
The server (with its virtual Klippy, itself a child process) runs in its own process; the load
comes from the benchmark's process over loopback, keep-alive connections each sending its next
request when the previous reply is read, ${SECONDS} s per run after a 0.5 s warm-up. Client and
server share the machine's ${machine.cpus} cores. A websocket client holds a Mainsail-like
subscription (toolhead, extruder, print_stats, webhooks).

- covered: \`${COVERED}\`
- not covered: \`${UNCOVERED}\` (Klippy answers objects/query on its 0.25 s tick)

| run | requests/s | p50 ms | p99 ms | server CPU s / 1000 requests | server RSS MiB after | server event loop max ms |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Server RSS when idle (settled, one websocket subscribed): ${results.serverIdleRssMiB} MiB.
Goal: covered p50 < 2 ms: ${runs[0]!.p50Ms < 2 ? 'met' : 'NOT met'} (${runs[0]!.p50Ms} ms).
`;
  writeResults('http', results, md);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
