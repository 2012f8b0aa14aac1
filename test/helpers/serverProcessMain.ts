// The server in a process of its own (forked by ServerProcess), for benchmarks and fault tests:
// the client's work never lands on the server's event loop, its CPU time and memory are its own,
// and a crash shows as an exit. It answers the parent over IPC; see ServerProcess for the
// commands. argv: DATA_PATH [CONFIG_TEXT], or --discard for a bare HTTP server.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadServerConfig, startServer } from '../../src/server.js';
import { logSink } from '../../src/logger.js';
import { fileManager } from '../../src/components/file_manager/index.js';

logSink.console = process.env.MOONSTATE_TEST_LOG === '1';
const send = (m: object) => process.send!(m);
/** CLOCK_MONOTONIC in ms: comparable between processes on one machine (timeOrigin is not, to the ms). */
const wallMs = () => Number(process.hrtime.bigint()) / 1e6;

if (process.argv[2] === '--discard') {
  // The transport's own ceiling: a plain HTTP server that reads and drops the body.
  const { createServer } = await import('node:http');
  const srv = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => res.end('{"result":"ok"}'));
  });
  srv.listen(0, '127.0.0.1', () => send({ url: `http://127.0.0.1:${(srv.address() as { port: number }).port}` }));
  process.on('message', () => process.exit(0));
} else {
  await serve(process.argv[2]!, process.argv[3] ?? '[virtual_klippy]\nstartup_delay: 0.1\n');
}

async function serve(dataPath: string, configText: string): Promise<void> {
  const { config } = loadServerConfig({ text: `[server]\nhost: 127.0.0.1\nport: 0\n${configText}`, dataPath });
  const timeout = process.env.MOONSTATE_KLIPPY_TIMEOUT_MS;
  const server = await startServer({
    config,
    logToFile: false,
    ...(timeout ? { klippyRequestTimeoutMs: Number(timeout) } : {}),
    ...(process.env.MOONSTATE_BENCH_NO_FSYNC === '1' ? { unsafeUploadsWithoutFsync: true } : {}),
  });
  const { klippy } = server.kernel;
  const files = server.kernel.lookup(fileManager);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const gc = (globalThis as { gc?: () => void }).gc;

  const commands: Record<string, () => Promise<object> | object> = {
    async settle() {
      while (klippy.state !== 'ready') await sleep(20);
      await files.settled();
      while (files.metadataPending > 0) await sleep(50);
      await sleep(200);
      return { settled: true };
    },
    async ready() {
      while (klippy.state !== 'ready') await sleep(5);
      return { readyAtMs: wallMs() };
    },
    reset() {
      loop.reset();
      return { reset: true };
    },
    loop: () => ({ maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6, meanMs: loop.mean / 1e6 }),
    /** CPU seconds so far, memory now; with --expose-gc, the heap after two full collections. */
    stats() {
      let heapAfterGc: number | undefined;
      if (gc) {
        gc();
        gc();
        heapAfterGc = process.memoryUsage().heapUsed;
      }
      const cpu = process.cpuUsage();
      return { cpuSeconds: (cpu.user + cpu.system) / 1e6, memory: process.memoryUsage(), heapAfterGc, klippyState: klippy.state };
    },
    async stop() {
      await server.close();
      return { stopped: true };
    },
  };

  process.on('message', (m: { cmd: string }) => {
    void (async () => {
      const reply = await commands[m.cmd]!();
      process.send!(reply, () => {
        if (m.cmd === 'stop') process.exit(0);
      });
    })();
  });
  send({ url: server.url });
}
