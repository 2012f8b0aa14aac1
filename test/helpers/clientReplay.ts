// What the client replay tests share: the fields a client reads, checked by path and type, and
// the steps every one of today's clients takes (identify, wait for Klippy as they poll).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RpcClient } from './rpcClient.js';
import { startStack, type Stack } from './testStack.js';
import { fileManager } from '../../src/components/file_manager/index.js';

// Replies are JSON of many shapes; the field checks below are what the tests assert.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type J = any;


/**
 * The server as today's clients find it: a config folder, no dialect option (HTTP in today's
 * dialect, the server's default), and the printer already up when the client opens, so the gcodes root
 * Klippy reports is known.
 */
export async function startClientStack(extraConfig = ''): Promise<Stack> {
  const configDir = mkdtempSync(join(tmpdir(), 'moonstate-client-config-'));
  writeFileSync(join(configDir, 'printer.cfg'), '[printer]\nkinematics: none\n');
  const s = await startStack({ apiDialect: null, extraConfig: `${extraConfig}\n[file_manager]\nconfig_path: ${configDir}\n` });
  await s.waitReady();
  await s.server.kernel.lookup(fileManager).settled();
  return {
    ...s,
    async close() {
      await s.close();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'defined';

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

function walk(value: unknown, segs: string[], at: string, kind: Kind, what: string): void {
  if (segs.length === 0) {
    assert.ok(value !== undefined, `${what}: ${at} is missing`);
    if (kind !== 'defined') assert.equal(kindOf(value), kind, `${what}: ${at} should be ${kind}, is ${JSON.stringify(value)}`);
    return;
  }
  const [seg, ...rest] = segs as [string, ...string[]];
  const each = seg.endsWith('[]');
  const key = each ? seg.slice(0, -2) : seg;
  const child = key === '' ? value : (value as Record<string, unknown> | undefined)?.[key];
  const here = at === '' ? key : `${at}.${key}`;
  if (!each) return walk(child, rest, here, kind, what);
  assert.ok(Array.isArray(child), `${what}: ${here} should be a list`);
  child.forEach((c, i) => walk(c, rest, `${here}[${i}]`, kind, what));
}

/**
 * Asserts that `value` has every field a client reads: `{'files[].modified': 'number'}` checks
 * `modified` in each element of `files`; `'[].path'` each element of a top-level list.
 */
export function assertFields(value: unknown, fields: Record<string, Kind>, what: string): void {
  for (const [path, kind] of Object.entries(fields)) walk(value, path.split('.'), '', kind, what);
}

/** server.connection.identify as today's clients send it; the reply's id. */
export async function identify(ws: RpcClient, client_name: string, type: string, version = '1.0.0'): Promise<number> {
  const r = await ws.call('server.connection.identify', { client_name, version, type, url: `https://example.invalid/${client_name}` });
  assertFields(r, { connection_id: 'number' }, 'identify');
  return r.connection_id as number;
}

/** Polls a request every `everyMs` until `done` says so, as the clients poll server.info / printer.info. */
export async function pollUntil<T>(call: () => Promise<T>, done: (r: T) => boolean, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call();
    if (done(r)) return r;
    if (Date.now() > deadline) assert.fail(`still not done after ${timeoutMs} ms: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, everyMs));
  }
}

/** "v0.10.0-0-moonstate.x" ≥ "v0.8.0-309", compared as Mainsail and Fluidd do (major.minor.patch, then the commit count). */
export function versionAtLeast(version: string, min: string): boolean {
  const parse = (v: string) => {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-(\d+))?/.exec(v);
    assert.ok(m, `unparsable version ${v}`);
    return [1, 2, 3, 4].map((i) => Number(m[i] ?? 0));
  };
  const a = parse(version);
  const b = parse(min);
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

/** Every object Klippy has, less the menu ones, each with null (all fields): Mainsail's and Fluidd's subscription. */
export function everyObject(objects: string[]): Record<string, null> {
  return Object.fromEntries(objects.filter((o) => !o.startsWith('menu')).map((o) => [o, null]));
}
