// The real slicer files the tests and benchmarks read. They are kept in the repository
// (test/fixtures/gcode-samples, byte for byte from shared/gcode-samples, provenance in SOURCES.md
// there) so a clean checkout tests on its own, wherever it is cloned. One file is not kept: its
// source repository states no license. It is read from the project's shared folder (or from
// $MOONSTATE_GCODE_SAMPLES) when that exists, and tests that need it skip otherwise.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../src/util/packageRoot.js';

export const FIXTURES = join(packageRoot(), 'test', 'fixtures', 'gcode-samples');

/** Files we may not redistribute, with the reason a test skips when they are absent. */
export const NOT_REDISTRIBUTED: Record<string, string> = {
  'kisslicer-1.1.0.14_cube.gcode': 'its source repository states no license, so it is not kept in ours',
};

const ELSEWHERE = [process.env.MOONSTATE_GCODE_SAMPLES, resolve(packageRoot(), '..', 'shared', 'gcode-samples')].filter(
  (d): d is string => d !== undefined && d !== '',
);

/** Where a sample file is, or undefined when this checkout cannot have it. */
export function samplePath(name: string): string | undefined {
  for (const dir of [FIXTURES, ...ELSEWHERE]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** A sample every checkout has; throws for one that is not kept here. */
export function sample(name: string): string {
  const p = samplePath(name);
  if (p === undefined) throw new Error(`gcode sample ${name} not found (${NOT_REDISTRIBUTED[name] ?? 'unknown file'})`);
  return p;
}

/** Every sample this checkout can read: name -> path, sorted by name. */
export function availableSamples(): Map<string, string> {
  const names = new Set(readdirSync(FIXTURES).filter((f) => f.endsWith('.gcode')));
  for (const n of Object.keys(NOT_REDISTRIBUTED)) if (samplePath(n) !== undefined) names.add(n);
  return new Map([...names].sort().map((n) => [n, samplePath(n) as string]));
}
