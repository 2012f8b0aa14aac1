// npm run viz        writes visualizations/<machine>.mmd and .svg from the machine definitions
// npm run viz:check  fails if any of them is missing or out of date (part of npm test)
import { readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { instance } from '@viz-js/viz';
import { MACHINES } from '../src/machines/index.js';
import { readMachine } from '../src/viz/machineGraph.js';
import { toMermaid } from '../src/viz/toMermaid.js';
import { toDot } from '../src/viz/toDot.js';

const OUT = 'visualizations';
const check = process.argv.includes('--check');
const viz = await instance();
const expected = new Map<string, string>();
for (const machine of MACHINES) {
  const graph = readMachine(machine);
  expected.set(`${graph.id}.mmd`, toMermaid(graph));
  expected.set(`${graph.id}.svg`, viz.renderString(toDot(graph), { format: 'svg', engine: 'dot' }));
}
if (check) {
  const stale = [...expected].filter(([name, text]) => {
    const p = join(OUT, name);
    return !existsSync(p) || readFileSync(p, 'utf8') !== text;
  });
  const generated = existsSync(OUT) ? readdirSync(OUT).filter((f) => /\.(mmd|svg)$/.test(f) && !f.startsWith('screenshot')) : [];
  const orphans = generated.filter((f) => !expected.has(f));
  if (stale.length || orphans.length) {
    console.error(`visualizations are out of date: ${[...stale.map(([n]) => n), ...orphans].join(', ')}\nrun: npm run viz`);
    process.exit(1);
  }
  console.log(`visualizations up to date (${expected.size} files)`);
} else {
  mkdirSync(OUT, { recursive: true });
  for (const [name, text] of expected) writeFileSync(join(OUT, name), text);
  console.log(`wrote ${[...expected.keys()].join(', ')}`);
}
