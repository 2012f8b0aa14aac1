// A loopback HTTP load generator of our own: `connections` keep-alive sockets, each sending its
// next request as soon as the previous reply is read, for `durationMs`. Latency is measured per
// request from write to the end of the reply body.
import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  latenciesMs: number[];
}

export async function httpLoad(url: string, opts: { connections: number; durationMs: number }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const latenciesMs: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + opts.durationMs;
  const one = () =>
    new Promise<void>((resolve) => {
      const start = performance.now();
      const req = request(url, { agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          if (res.statusCode === 200) latenciesMs.push(performance.now() - start);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const worker = async () => {
    while (performance.now() < end) await one();
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { requests: latenciesMs.length, errors, seconds, requestsPerSecond: latenciesMs.length / seconds, latenciesMs };
}
