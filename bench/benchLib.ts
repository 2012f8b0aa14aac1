// What every benchmark shares: the facts of the machine it ran on, small statistics, and
// writing bench/results/NAME.json and NAME.md.
import { writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';

export const RESULTS = join(import.meta.dirname, 'results');

export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  date: string;
}

export function machineFacts(): MachineFacts {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    kernel: release(),
    date: new Date().toISOString(),
  };
}

/** One line naming the machine, for the head of each markdown table. */
export const describeMachine = (f: MachineFacts) => `${f.cpus} × ${f.cpuModel}, ${f.memoryGiB} GiB RAM, Node ${f.node}, ${f.date.slice(0, 10)}`;

export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (xs: readonly number[]) => percentile(xs, 50);

export const mib = (bytes: number) => round(bytes / 1024 ** 2, 1);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function writeResults(name: string, results: object, markdown: string): void {
  writeFileSync(join(RESULTS, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(RESULTS, `${name}.md`), markdown);
  console.log(markdown);
}
