// Webcam entries shared by every front-end (server.webcams.*). moonstate does not run cameras;
// it keeps their configuration, in the database namespace `webcams`, keyed by uid, as Moonraker,
// and lists the `[webcam NAME]` sections of the config first, read-only, with the uid Moonraker
// gives them (a UUID5 of the name in the instance's namespace), so clients' references survive
// the swap.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebcamConfig } from '../../config/configSchema.js';
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import { badRequest, invalidParams, notFound } from '../../shared/errors.js';
import type { Kernel } from '../kernel.js';

const NAMESPACE = 'webcams';

/** Moonraker's fields and defaults for a new entry. */
const DEFAULTS = {
  location: 'printer',
  service: 'mjpegstreamer',
  enabled: true,
  icon: 'mdiWebcam',
  target_fps: 15,
  target_fps_idle: 5,
  snapshot_url: '',
  flip_horizontal: false,
  flip_vertical: false,
  rotation: 0,
  aspect_ratio: '4:3',
  extra_data: {} as Record<string, unknown>,
};

export type Webcam = typeof DEFAULTS & { name: string; stream_url: string; source: 'database' | 'config'; uid: string };

/** RFC 4122 version 5 (SHA-1) UUID of `name` in the namespace `ns`. */
export function uuid5(ns: string, name: string): string {
  const bytes = createHash('sha1').update(Buffer.from(ns.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Moonraker's instance id ({data_path}/.moonraker.uuid), created as Moonraker creates it. */
export function instanceUuid(dataPath: string): string {
  const file = join(dataPath, '.moonraker.uuid');
  try {
    if (existsSync(file)) {
      const id = readFileSync(file, 'utf8').trim();
      if (/^[0-9a-f]{32}$/i.test(id.replace(/-/g, ''))) return id;
    }
  } catch {
    /* unreadable: use a new one below */
  }
  const id = randomUUID().replace(/-/g, '');
  try {
    writeFileSync(file, id);
  } catch {
    /* a read-only data path: uids are stable for this run only */
  }
  return id;
}

function fromConfig(cam: WebcamConfig, ns: string): Webcam {
  const { name, stream_url, ...rest } = cam;
  return { ...DEFAULTS, ...rest, name, stream_url, extra_data: {}, source: 'config', uid: uuid5(ns, `moonraker.webcam.${name}`) };
}

const ROTATIONS = [0, 90, 180, 270];

function normalise(raw: unknown, uid: string): Webcam | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== 'string') return undefined;
  return { ...DEFAULTS, ...(r as Partial<Webcam>), name: r.name, stream_url: typeof r.stream_url === 'string' ? r.stream_url : '', source: 'database', uid };
}

/** `changed` is told the whole list after every change (notify_webcams_changed). */
export function webcamEndpoints(s: Pick<Kernel, 'database' | 'config'>, changed: (webcams: Webcam[]) => void): Endpoint[] {
  const db = s.database;
  const configured = s.config.webcams.length > 0 ? (() => {
    const ns = instanceUuid(s.config.dataPath);
    return s.config.webcams.map((c) => fromConfig(c, ns));
  })() : [];
  const configuredNames = new Set(configured.map((c) => c.name));
  const configuredUids = new Set(configured.map((c) => c.uid));
  const all = (): Webcam[] => {
    if (!db.hasNamespace(NAMESPACE)) return [...configured];
    // A database entry named like a configured webcam is hidden by it, as in Moonraker.
    const stored = Object.entries(db.namespace(NAMESPACE))
      .map(([uid, v]) => normalise(v, uid))
      .filter((w): w is Webcam => w !== undefined && !configuredNames.has(w.name) && !configuredUids.has(w.uid))
      .sort((a, b) => a.name.localeCompare(b.name));
    return [...configured, ...stored];
  };
  const refuseConfigured = (cam: Webcam | undefined, verb: string) => {
    if (cam?.source === 'config') throw badRequest(`Cannot ${verb} webcam '${cam.name}' sourced from Moonraker configuration`);
  };
  const find = (uid: string | undefined, name: string | undefined): Webcam => {
    const cam = all().find((w) => (uid !== undefined ? w.uid === uid : w.name === name));
    if (!cam) throw notFound(uid !== undefined ? `Webcam with uid ${uid} not found` : `Webcam ${name ?? ''} not found`);
    return cam;
  };
  const announce = () => changed(all());
  const lookup = { uid: param.string(), name: param.string() };

  return [
    rpc({
      method: 'server.webcams.list',
      description: 'Every configured webcam',
      http: { verbs: ['GET'], path: '/server/webcams/list' },
      params: {},
      handler: () => ({ webcams: all() }),
    }),
    rpc({
      method: 'server.webcams.get_item',
      description: 'One webcam, by uid (or by name, deprecated)',
      http: { verbs: ['GET'], path: '/server/webcams/item' },
      params: lookup,
      handler: ({ uid, name }) => {
        if (uid === undefined && name === undefined) throw invalidParams('Missing argument "uid"');
        return { webcam: find(uid, name) };
      },
    }),
    rpc({
      method: 'server.webcams.post_item',
      description: 'Adds a webcam, or updates the fields given of an existing one',
      http: { verbs: ['POST'], path: '/server/webcams/item' },
      params: {
        uid: param.string(),
        name: param.string(),
        location: param.string(),
        service: param.string(),
        enabled: param.boolean(),
        icon: param.string(),
        target_fps: param.integer({ check: (n) => (n > 0 ? undefined : 'must be positive') }),
        target_fps_idle: param.integer({ check: (n) => (n > 0 ? undefined : 'must be positive') }),
        stream_url: param.string(),
        snapshot_url: param.string(),
        flip_horizontal: param.boolean(),
        flip_vertical: param.boolean(),
        rotation: param.integer({ check: (n) => (ROTATIONS.includes(n) ? undefined : 'must be 0, 90, 180 or 270') }),
        aspect_ratio: param.string({ check: (a) => (/^\d+:\d+$/.test(a) ? undefined : 'must look like 16:9') }),
        extra_data: param.object(),
      },
      handler: (p) => {
        const existing = p.uid !== undefined ? find(p.uid, undefined) : undefined;
        refuseConfigured(existing ?? configured.find((c) => c.name === p.name), 'overwrite');
        const fields = Object.fromEntries(Object.entries(p).filter(([k, v]) => v !== undefined && k !== 'uid'));
        const name = (fields.name as string | undefined) ?? existing?.name;
        if (!name) throw invalidParams('Missing argument "name"');
        const stream = (fields.stream_url as string | undefined) ?? existing?.stream_url;
        if (!stream) throw invalidParams('Missing argument "stream_url"');
        const clash = all().find((w) => w.name === name && w.uid !== existing?.uid);
        if (clash) throw badRequest(`A webcam named "${name}" already exists`);
        const uid = existing?.uid ?? randomUUID();
        const { source: _s, uid: _u, ...base } = existing ?? { ...DEFAULTS, name, stream_url: stream, source: 'database' as const, uid };
        const stored = { ...base, ...fields, name, stream_url: stream };
        db.put(NAMESPACE, [uid], stored);
        announce();
        return { webcam: normalise(stored, uid)! };
      },
    }),
    rpc({
      method: 'server.webcams.delete_item',
      description: 'Removes a webcam',
      http: { verbs: ['DELETE'], path: '/server/webcams/item' },
      params: lookup,
      handler: ({ uid, name }) => {
        if (uid === undefined && name === undefined) throw invalidParams('Missing argument "uid"');
        const cam = find(uid, name);
        refuseConfigured(cam, 'delete');
        db.delete(NAMESPACE, [cam.uid]);
        announce();
        return { webcam: cam };
      },
    }),
  ];
}
