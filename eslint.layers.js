// Layer boundaries (issue 14, item 4): imports only point down.
//   shared (src/shared, src/util, src/logger.ts, src/version.ts)   node built-ins only
//   machines                                                       xstate and shared only
//   config, db, fs, actors, sim, viz                              no transport/components/server/cli
//   transport                                                      no components/server/cli
//   components                                                     no server/cli; no HTTP (express,
//                                                                  node:http, transport's servers)
// no-restricted-imports only sees the specifier text, so each rule is a regex on relative
// specifiers: `(\.\./)+` covers files in subfolders (src/fs/metadata → ../../transport/).
// Regexes rather than gitignore-style `group`s, whose matching of `../` paths is easy to get
// wrong. Each folder gets exactly one block: flat config replaces a rule's options when two
// blocks match a file, it does not merge them. test/lint/layers.test.ts proves every rule.

const SERVER = String.raw`^(\.\./)+server(\.js)?$`;
const up = (folders) => String.raw`^(\.\./)+(${folders.join('|')})(/|$)`;

/**
 * One block: `files` may import nothing matching `regexes`. An entry is a regex (reported with
 * `message`) or a `[regex, message]` pair, for a folder with more than one reason.
 */
function layer(files, message, regexes) {
  const pattern = (r) => (typeof r === 'string' ? { regex: r, message } : { regex: r[0], message: r[1] });
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: regexes.map(pattern) }],
    },
  };
}

export const layers = [
  // Today shared and util import their own folder and node built-ins; logger and version only
  // node built-ins. Relax one of these on purpose, not by accident.
  layer(['src/shared/**'], 'shared code imports only node built-ins and shared/', [String.raw`^(?!node:|\./)`]),
  layer(['src/util/**'], 'util imports only node built-ins and util/', [String.raw`^(?!node:|\./)`]),
  layer(['src/logger.ts', 'src/version.ts'], 'logger and version import only node built-ins', [String.raw`^(?!node:)`]),
  layer(
    ['src/config/**', 'src/db/**', 'src/fs/**', 'src/actors/**', 'src/sim/**', 'src/viz/**'],
    'lower layers never import transport/components, server.ts or cli',
    [up(['transport', 'components', 'cli']), SERVER],
  ),
  layer(['src/transport/**'], 'transport never imports components, server.ts or cli', [
    up(['components', 'cli']),
    SERVER,
  ]),
  layer(['src/components/**'], 'components never import server.ts or cli', [
    up(['cli']),
    SERVER,
    ...[
      String.raw`^express(/|$)`,
      String.raw`^(node:)?http$`,
      String.raw`^(\.\./)+transport/(httpServer|websocketServer|httpJsonRpc|unixSocketServer)(\.js)?$`,
    ].map((regex) => [regex, 'components never handle HTTP: declare endpoints, transport serves them']),
  ]),
  // Last, so that a machine kept beside its component gets this stricter rule instead of the
  // components one. Siblings: only other machines (machines/index.ts lists them).
  layer(['src/machines/**', 'src/**/*.machine.ts'], 'machines are pure: xstate and shared only', [
    String.raw`^(?!xstate$|(\.\./)+shared/|\./[^/]+\.machine\.js$)`,
  ]),
];
