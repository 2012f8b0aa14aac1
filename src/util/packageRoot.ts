// The folder holding moonstate's package.json, found from this module's own location, so files
// that ship beside the code (the inspector page, the diagrams) are found whether we run from
// src/ with tsx or from dist/src/ after `npm run build`, and whatever the working directory.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'moonstate') return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the moonstate package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}
