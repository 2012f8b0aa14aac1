// npm run bench:ws: 200 websocket clients subscribed to toolhead, extruder and print_stats while
// the virtual printer prints. Measures the server's CPU seconds per 1000 updates delivered and
// the delivery latency: from Klippy's tick (the update's eventtime, which the virtual Klippy
// reads from CLOCK_MONOTONIC, as Klippy does, at time scale 1) to the moment a client had the
// notification parsed (process.hrtime, the same clock). Writes bench/results/ws.json and ws.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ServerProcess } from '../test/helpers/serverProcess.js';
import { describeMachine, machineFacts, mib, percentile, round, sleep, writeResults } from './benchLib.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const SUBSCRIPTION = { toolhead: null, extruder: null, print_stats: null };
const work = mkdtempSync(join(tmpdir(), 'moonstate-bench-ws-'));
/** CLOCK_MONOTONIC in ms: one clock for every process on the machine, unlike performance.timeOrigin. */
const wallMs = () => Number(process.hrtime.bigint()) / 1e6;

/** A square spiral that keeps the toolhead moving for minutes, heating as it goes. */
function printFile(): string {
  const lines = ['M104 S200', 'G28', 'G90'];
  for (let i = 0; i < 4000; i++) {
    const r = 20 + (i % 80);
    lines.push(`G1 X${100 + (i % 2 ? r : -r)} Y${100 + (i % 4 < 2 ? r : -r)} F6000`);
  }
  return lines.join('\n') + '\n';
}

interface Client {
  ws: WebSocket;
  /** [eventtime, receivedAtMs] of each notify_status_update. */
  received: Array<[number, number]>;
  recording: boolean;
}

function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const c: Client = { ws, received: [], recording: false };
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { method?: string; params?: [unknown, number] };
      if (c.recording && msg.method === 'notify_status_update') c.received.push([msg.params![1], wallMs()]);
    });
    ws.once('open', () => {
      ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'printer.objects.subscribe', params: { objects: SUBSCRIPTION }, id: 1 }));
      ws.once('message', () => resolve(c));
    });
    ws.once('error', reject);
  });
}

async function main(): Promise<void> {
  const machine = machineFacts();
  mkdirSync(join(work, 'gcodes'), { recursive: true });
  writeFileSync(join(work, 'gcodes', 'spiral.gcode'), printFile());
  const server = await ServerProcess.start(work, { config: '[virtual_klippy]\nstartup_delay: 0.1\ntime_scale: 1\n' });
  await server.settle();
  const idle = await server.stats();

  const clients: Client[] = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await connect(server.wsUrl));
  const connected = await server.stats();
  const start = await fetch(`${server.url}/printer/print/start?filename=spiral.gcode`, { method: 'POST' });
  if (start.status !== 200) throw new Error(`print start: ${start.status} ${await start.text()}`);
  await sleep(2000);

  await server.resetLoop();
  const before = await server.stats();
  for (const c of clients) c.recording = true;
  await sleep(SECONDS * 1000);
  for (const c of clients) c.recording = false;
  const after = await server.stats();
  const loop = await server.loop();
  const latencies: number[] = [];
  const ticks = new Set<number>();
  for (const c of clients) {
    for (const [eventtime, at] of c.received) {
      latencies.push(at - eventtime * 1000);
      ticks.add(eventtime);
    }
  }
  const delivered = latencies.length;
  const printing = await (await fetch(`${server.url}/printer/objects/query?print_stats=state`)).json();
  for (const c of clients) c.ws.terminate();
  await server.stop();

  const cpu = after.cpuSeconds - before.cpuSeconds;
  const results = {
    machine,
    clients: CLIENTS,
    seconds: SECONDS,
    subscription: SUBSCRIPTION,
    printState: (printing as { result: { status: { print_stats: { state: string } } } }).result.status.print_stats.state,
    klippyUpdates: ticks.size,
    updatesDelivered: delivered,
    serverCpuSeconds: round(cpu, 2),
    serverCpuSecondsPer1000Updates: round((cpu / delivered) * 1000, 4),
    serverCpuPercentOfOneCore: round((cpu / SECONDS) * 100, 1),
    latencyP50Ms: round(percentile(latencies, 50), 2),
    latencyP99Ms: round(percentile(latencies, 99), 2),
    latencyMaxMs: round(Math.max(...latencies), 2),
    serverEventLoopMaxMs: round(loop.maxMs, 1),
    rssMiB: { idle: mib(idle.memory.rss), withClientsConnected: mib(connected.memory.rss), underLoad: mib(after.memory.rss) },
  };
  console.log(results);
  const md = `# Websocket fan-out benchmark

\`npm run bench:ws\` on ${describeMachine(machine)}.
${CLIENTS} websocket clients (in the benchmark's process) each subscribe to
\`${JSON.stringify(SUBSCRIPTION)}\` while the virtual printer prints at real speed (time_scale 1,
moving and heating); measured over ${SECONDS} s. The server runs in its own process, the
virtual Klippy in another; client and server share the machine's ${machine.cpus} cores.
Latency is from Klippy's tick (the update's eventtime, CLOCK_MONOTONIC) to a client having the
notification parsed: Klippy's send, the server's read, filter and fan-out, the client's parse.

| measure | result |
|---|---|
| print_stats.state at the end | ${results.printState} |
| status updates from Klippy (distinct eventtimes) | ${results.klippyUpdates} |
| notify_status_update delivered (all clients) | ${delivered} |
| server CPU seconds per 1000 updates delivered | ${results.serverCpuSecondsPer1000Updates} |
| server CPU, % of one core | ${results.serverCpuPercentOfOneCore} % |
| delivery latency p50 / p99 / max | ${results.latencyP50Ms} / ${results.latencyP99Ms} / ${results.latencyMaxMs} ms |
| server event loop max | ${results.serverEventLoopMaxMs} ms |
| server RSS idle / ${CLIENTS} clients connected / under load | ${results.rssMiB.idle} / ${results.rssMiB.withClientsConnected} / ${results.rssMiB.underLoad} MiB |
`;
  writeResults('ws', results, md);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
