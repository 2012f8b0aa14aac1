// The server under benchmark, in its own process (forked by files.bench.ts) so the client's
// work never lands on the server's event loop. It measures its own event-loop delay with
// perf_hooks.monitorEventLoopDelay and answers the parent over IPC.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config/loadConfig.js';
import { startServer } from '../src/server.js';
import { logSink } from '../src/logger.js';

logSink.console = false;
if (process.argv[2] === '--discard') {
  // The transport's own ceiling: a plain HTTP server that reads and drops the body.
  const { createServer } = await import('node:http');
  const srv = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => res.end('{"result":"ok"}'));
  });
  srv.listen(0, '127.0.0.1', () => process.send!({ url: `http://127.0.0.1:${(srv.address() as { port: number }).port}` }));
  process.on('message', () => process.exit(0));
} else {
  await serve(process.argv[2]!);
}

async function serve(dataPath: string): Promise<void> {
const { config } = loadConfig({ text: '[server]\nhost: 127.0.0.1\nport: 0\n[virtual_klippy]\nstartup_delay: 0.1\n', dataPath });
const server = await startServer({ config, logToFile: false });
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();

type Msg = { cmd: 'settle' } | { cmd: 'reset' } | { cmd: 'loop' } | { cmd: 'stop' };
process.on('message', (m: Msg) => {
  void (async () => {
    switch (m.cmd) {
      case 'settle': {
        const files = server.services.files;
        while (server.services.klippy.state !== 'ready') await new Promise((r) => setTimeout(r, 20));
        await files.settled();
        while (files.metadataPending > 0) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 200));
        process.send!({ settled: true });
        break;
      }
      case 'reset':
        loop.reset();
        process.send!({ reset: true });
        break;
      case 'loop':
        process.send!({ maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6, meanMs: loop.mean / 1e6 });
        break;
      case 'stop':
        await server.close();
        process.send!({ stopped: true }, () => process.exit(0));
        break;
    }
  })();
});
process.send!({ url: server.url });
}
