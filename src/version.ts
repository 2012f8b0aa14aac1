// Reported to Klippy in client_info and to clients in server.info. Read from package.json so
// there is one place to bump it; found by walking up, since this file runs both from src/
// (tests, tsx) and from dist/src/ (npm start).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageJson(): { version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'moonstate') return pkg;
    }
    const up = dirname(dir);
    if (up === dir) return { version: '0.0.0' };
    dir = up;
  }
}

export const MOONSTATE_VERSION = `v${findPackageJson().version}`;
