// The layer rules in eslint.layers.js fire on imports that point up and stay quiet on the ones
// that point down. The options come from the real eslint.config.js for each path (so a later
// block that overrides a layer would show here); the lint itself runs with just that rule and the
// TypeScript parser, because type-aware rules cannot lint a virtual file quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const root = fileURLToPath(new URL('../../', import.meta.url));
const project = new ESLint({ cwd: root });

/** The repo's no-restricted-imports options for `filePath`, or undefined when none apply. */
async function layerRule(filePath: string): Promise<Linter.RuleEntry | undefined> {
  const config = (await project.calculateConfigForFile(filePath)) as Linter.Config;
  return config.rules?.['no-restricted-imports'];
}

/** The layer messages ESLint reports for `code` placed at `filePath`. */
async function lint(filePath: string, code: string): Promise<string[]> {
  const rule = await layerRule(filePath);
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      ...(rule === undefined ? [] : [{ rules: { 'no-restricted-imports': rule } }]),
    ],
  });
  const [result] = await eslint.lintText(code, { filePath, warnIgnored: true });
  assert.ok(result, `no lint result for ${filePath}`);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${filePath} did not parse`);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const importing = (specifier: string): string => `import { x } from '${specifier}';\nexport const y = x;\n`;

type Case = [file: string, specifier: string];

async function expectFlagged(cases: Case[], reason: string): Promise<void> {
  for (const [file, specifier] of cases) {
    const messages = await lint(file, importing(specifier));
    assert.equal(messages.length, 1, `${file} importing '${specifier}' must be flagged`);
    assert.match(messages[0] ?? '', new RegExp(reason), `${file} importing '${specifier}' names its rule`);
  }
}

async function expectAllowed(cases: Case[]): Promise<void> {
  for (const [file, specifier] of cases) {
    assert.deepEqual(await lint(file, importing(specifier)), [], `${file} importing '${specifier}' must pass`);
  }
}

test('machines import xstate and shared code only', async () => {
  await expectFlagged(
    [
      ['src/machines/x.ts', 'rxjs'],
      ['src/machines/x.ts', '../actors/x.js'],
      ['src/machines/x.ts', 'node:fs'],
      ['src/machines/x.ts', 'fs'],
      ['src/machines/x.ts', '../transport/x.js'],
      ['src/machines/x.ts', '../logger.js'],
      ['src/machines/x.ts', './helper.js'],
      ['src/machines/x.ts', 'xstate-helpers'],
      // a machine kept beside its component is held to the same rule
      ['src/components/history/history.machine.ts', 'rxjs'],
      ['src/components/history/history.machine.ts', './index.js'],
    ],
    'machines are pure: xstate and shared only',
  );
  await expectAllowed([
    ['src/machines/x.ts', 'xstate'],
    ['src/machines/x.ts', '../shared/errors.js'],
    ['src/machines/index.ts', './printJob.machine.js'],
    ['src/components/history/history.machine.ts', '../../shared/errors.js'],
    ['src/components/history/history.machine.ts', 'xstate'],
  ]);
});

test('a type-only import or a re-export crosses the boundary too', async () => {
  for (const code of [
    "import type { X } from '../transport/connections.js';\nexport type Y = X;\n",
    "export { x } from '../transport/x.js';\n",
    "export * from '../transport/x.js';\n",
  ]) {
    assert.equal((await lint('src/actors/x.actor.ts', code)).length, 1, code);
  }
});

test('shared code, util, logger and version import only node built-ins and their own folder', async () => {
  await expectFlagged(
    [
      ['src/shared/x.ts', '../transport/x.js'],
      ['src/shared/x.ts', '../logger.js'],
      ['src/shared/x.ts', 'rxjs'],
    ],
    'shared code imports only node built-ins',
  );
  await expectFlagged([['src/util/x.ts', '../actors/x.js'], ['src/util/x.ts', 'xstate']], 'util imports only node built-ins');
  await expectFlagged(
    [
      ['src/logger.ts', './server.js'],
      ['src/version.ts', './shared/errors.js'],
      ['src/logger.ts', 'rxjs'],
    ],
    'logger and version import only node built-ins',
  );
  await expectAllowed([
    ['src/shared/x.ts', 'node:fs'],
    ['src/shared/x.ts', './klippyProtocol.js'],
    ['src/util/x.ts', 'node:path'],
    ['src/util/x.ts', './ringBuffer.js'],
    ['src/logger.ts', 'node:fs'],
  ]);
});

test('lower layers never import transport, components, server.ts or cli', async () => {
  const reason = 'lower layers never import transport/components';
  await expectFlagged(
    [
      ['src/fs/x.ts', '../transport/x.js'],
      ['src/fs/x.ts', '../components/x/index.js'],
      ['src/fs/x.ts', '../server.js'],
      ['src/fs/x.ts', '../cli/moonstate.js'],
      ['src/fs/metadata/x.ts', '../../transport/x.js'],
      ['src/db/x.ts', '../transport/clientJson.js'],
      ['src/actors/x.actor.ts', '../transport/connections.js'],
      ['src/config/x.ts', '../components/authorization/index.js'],
      ['src/sim/objects/x.ts', '../../transport/x.js'],
      ['src/viz/x.ts', '../server.js'],
    ],
    reason,
  );
  await expectAllowed([
    ['src/fs/x.ts', '../shared/x.js'],
    ['src/fs/x.ts', '../util/fsync.js'],
    ['src/fs/x.ts', '../db/database.js'],
    ['src/fs/x.ts', '../transports.js'],
    ['src/fs/x.ts', 'rxjs'],
    ['src/fs/metadata/x.ts', '../../shared/x.js'],
    ['src/fs/metadata/x.ts', '../fileRoots.js'],
    ['src/actors/x.actor.ts', '../machines/index.js'],
    ['src/sim/objects/x.ts', '../printerObject.js'],
  ]);
});

test('transport never imports components, server.ts or cli', async () => {
  await expectFlagged(
    [
      ['src/transport/x.ts', '../components/x/index.js'],
      ['src/transport/x.ts', '../components/authorization/authorization.js'],
      ['src/transport/x.ts', '../server.js'],
      ['src/transport/x.ts', '../cli/moonstate.js'],
    ],
    'transport never imports components',
  );
  await expectAllowed([
    ['src/transport/x.ts', '../shared/errors.js'],
    ['src/transport/x.ts', '../actors/inspection.actor.js'],
    ['src/transport/x.ts', './errorCodes.js'],
    ['src/transport/x.ts', 'express'],
  ]);
});

test('components never import server.ts or cli', async () => {
  await expectFlagged(
    [
      ['src/components/history/index.ts', '../../server.js'],
      ['src/components/history/index.ts', '../../cli/moonstate.js'],
      ['src/components/authorization/x.ts', '../../server.js'],
    ],
    'components never import server.ts or cli',
  );
  await expectAllowed([
    ['src/components/history/index.ts', '../../transport/endpointRegistry.js'],
    ['src/components/history/index.ts', '../component.js'],
    ['src/components/history/index.ts', '../server/index.js'],
    ['src/components/history/index.ts', '../../actors/history.actor.js'],
    ['src/components/authorization/x.ts', '../../transport/x.js'],
    ['src/components/authorization/x.ts', '../../shared/corsPolicy.js'],
  ]);
});

test('components never handle HTTP: express, node:http and the transport servers are transport\'s', async () => {
  await expectFlagged(
    [
      ['src/components/authorization/x.ts', 'express'],
      ['src/components/file_manager/x.ts', 'node:http'],
      ['src/components/file_manager/x.ts', 'http'],
      ['src/components/history/index.ts', '../../transport/httpServer.js'],
      ['src/components/history/index.ts', '../../transport/websocketServer.js'],
      ['src/components/history/index.ts', '../../transport/httpJsonRpc.js'],
      ['src/components/history/index.ts', '../../transport/unixSocketServer.js'],
      ['src/components/x.ts', '../transport/httpServer.js'],
    ],
    'components never handle HTTP',
  );
  // A type-only import of a request is handling HTTP all the same.
  assert.equal((await lint('src/components/x/x.ts', "import type { IncomingMessage } from 'node:http';\nexport type R = IncomingMessage;\n")).length, 1);
  await expectAllowed([
    ['src/components/history/index.ts', '../../transport/endpointRegistry.js'],
    ['src/components/history/index.ts', '../../transport/httpServerless.js'],
    ['src/components/history/index.ts', 'express-like'],
    ['src/components/authorization/x.ts', '../../shared/accessRequest.js'],
  ]);
});

test('the top layer (server.ts, cli, scenario) may import anything', async () => {
  await expectAllowed([
    ['src/server.ts', './transport/httpServer.js'],
    ['src/server.ts', './components/history/index.js'],
    ['src/cli/moonstate.ts', '../server.js'],
    ['src/scenario/sandbox.ts', '../server.js'],
  ]);
});

// A new folder under src/ would otherwise sit outside every layer without anyone deciding so.
test('every folder under src/ is in a layer or named here as top level', async () => {
  const topLevel = new Set(['cli', 'scenario', 'install', 'inspector']);
  const unplaced: string[] = [];
  for (const entry of readdirSync(new URL('../../src/', import.meta.url), { withFileTypes: true })) {
    if (!entry.isDirectory() || topLevel.has(entry.name)) continue;
    if ((await layerRule(`src/${entry.name}/x.ts`)) === undefined) unplaced.push(entry.name);
  }
  assert.deepEqual(unplaced, [], 'add these folders to a layer in eslint.layers.js (or to topLevel here)');
});
