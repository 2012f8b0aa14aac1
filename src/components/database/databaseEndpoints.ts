// The database namespace of today's Moonraker: clients keep their settings here (Mainsail,
// Fluidd, KlipperScreen each use a namespace), and can back the store up and restore it.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import { badRequest, invalidParams, forbidden, notFound, conflict } from '../../shared/errors.js';
import type { ItemKey } from '../../db/database.js';
import type { Kernel } from '../kernel.js';
import type { PrintJobTracker } from '../job_state/printJob.actor.js';

/** Namespaces the server writes itself: clients may read them, not change them. */
export const SERVER_NAMESPACES = new Set(['moonraker', 'gcode_metadata', 'history', 'job_queue', 'database']);

const keyParam = (required: boolean) =>
  param.any({
    ...(required ? { required: true as const } : {}),
    check: (k: unknown) =>
      k === undefined || k === null || typeof k === 'string' || (Array.isArray(k) && k.every((p) => typeof p === 'string'))
        ? undefined
        : 'must be a string or a list of strings',
  });

/** Namespaces no client may read or write (Moonraker keeps its own bookkeeping in `database`). */
const FORBIDDEN_NAMESPACES = new Set(['database']);

function readable(ns: string): void {
  if (FORBIDDEN_NAMESPACES.has(ns)) throw forbidden(`Read/Write access to namespace '${ns}' is forbidden`);
}

function writable(ns: string): void {
  readable(ns);
  if (SERVER_NAMESPACES.has(ns)) throw forbidden(`Write access to namespace '${ns}' is forbidden`);
}

/** Backup names are plain file names inside the backup folder. */
function backupName(name: string): string {
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw badRequest(`Invalid backup file name: ${name}`);
  return name;
}

function timespec(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function databaseEndpoints(s: Pick<Kernel, 'database' | 'paths'> & { printJob: PrintJobTracker }): Endpoint[] {
  const db = s.database;
  const backupDir = join(s.paths.data, 'backup', 'database');
  // Scratch folders of backups a kill interrupted: hidden from the listing, so removed here.
  if (existsSync(backupDir)) {
    for (const f of readdirSync(backupDir)) if (f.startsWith('.') && f.endsWith('.partial')) rmSync(join(backupDir, f), { recursive: true, force: true });
  }
  const backups = () => (existsSync(backupDir) ? readdirSync(backupDir).filter((f) => !f.startsWith('.')).sort() : []);
  const notWhilePrinting = (what: string) => {
    if (s.printJob.jobActive) throw conflict(`Cannot ${what} while printing`);
  };
  return [
    rpc({
      method: 'server.database.list',
      description: 'Namespaces and backup files',
      http: { verbs: ['GET'], path: '/server/database/list' },
      params: {},
      handler: () => ({ namespaces: db.namespaces(), backups: backups() }),
    }),
    rpc({
      method: 'server.database.get_item',
      description: 'An item (or a whole namespace without key)',
      http: { verbs: ['GET'], path: '/server/database/item' },
      params: { namespace: param.string({ required: true }), key: keyParam(false) },
      handler: ({ namespace, key }) => {
        readable(namespace);
        return { namespace, key: key ?? null, value: db.get(namespace, (key ?? undefined) as ItemKey | undefined) };
      },
    }),
    rpc({
      method: 'server.database.post_item',
      description: 'Stores an item; nested keys create their parents',
      http: { verbs: ['POST'], path: '/server/database/item' },
      params: { namespace: param.string({ required: true }), key: keyParam(true), value: param.any() },
      handler: ({ namespace, key, value }) => {
        writable(namespace);
        if (value === undefined) throw invalidParams('Missing argument "value"');
        // The store's commit returns once the item is on the disk (see DURABLE_COMMITS).
        return { namespace, key, value: db.put(namespace, key as ItemKey, value) };
      },
    }),
    rpc({
      method: 'server.database.delete_item',
      description: 'Removes an item and returns it',
      http: { verbs: ['DELETE'], path: '/server/database/item' },
      params: { namespace: param.string({ required: true }), key: keyParam(true) },
      handler: ({ namespace, key }) => {
        writable(namespace);
        return { namespace, key, value: db.delete(namespace, key as ItemKey) };
      },
    }),
    rpc({
      method: 'server.database.compact',
      description: 'Rewrites the store without free space',
      http: { verbs: ['POST'], path: '/server/database/compact' },
      params: {},
      handler: () => {
        notWhilePrinting('compact the database');
        return db.compact();
      },
    }),
    rpc({
      method: 'server.database.post_backup',
      description: 'Writes a consistent copy of the store to <data>/backup/database/<filename>',
      http: { verbs: ['POST'], path: '/server/database/backup' },
      params: { filename: param.string() },
      handler: async ({ filename }) => {
        notWhilePrinting('back up the database');
        mkdirSync(backupDir, { recursive: true });
        const path = join(backupDir, backupName(filename ?? `lmdb-backup-${timespec()}.mdb`));
        // An existing backup of that name is replaced in one rename, once the new one is whole.
        await db.backup(path);
        return { backup_path: path };
      },
    }),
    rpc({
      method: 'server.database.delete_backup',
      description: 'Deletes a backup file',
      http: { verbs: ['DELETE'], path: '/server/database/backup' },
      params: { filename: param.string({ required: true }) },
      handler: ({ filename }) => {
        const path = join(backupDir, backupName(filename));
        if (!existsSync(path)) throw notFound(`Backup file ${filename} not found`);
        rmSync(path);
        return { backup_path: path };
      },
    }),
    rpc({
      method: 'server.database.restore',
      description: 'Replaces the whole store with a backup',
      http: { verbs: ['POST'], path: '/server/database/restore' },
      params: { filename: param.string({ required: true }) },
      handler: async ({ filename }) => {
        notWhilePrinting('restore the database');
        const path = join(backupDir, backupName(filename));
        if (!existsSync(path)) throw notFound(`Backup file ${filename} not found`);
        const namespaces = await db.restore(path);
        return { restored_tables: ['items'], restored_namespaces: namespaces };
      },
    }),
  ];
}
