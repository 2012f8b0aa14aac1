#!/usr/bin/env node
// Runs every test file under test/ with node:test, each file in its own process.
// Node 20's `--test` takes no globs, so we collect the files here.
// Usage: node scripts/runTests.mjs [path-substring ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect('test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const args = [
  '--import', 'tsx',
  '--test',
  '--test-concurrency=' + (process.env.TEST_CONCURRENCY ?? '2'),
  '--test-timeout=' + (process.env.TEST_TIMEOUT_MS ?? '120000'),
  '--test-reporter=' + (process.env.TEST_REPORTER ?? 'spec'),
  ...files,
];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
