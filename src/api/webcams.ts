// Webcam entries shared by every front-end (server.webcams.*). moonstate does not run cameras;
// it keeps their configuration, in the database namespace `webcams`, keyed by uid, as Moonraker.
import { randomUUID } from 'node:crypto';
import { rpc, type Endpoint } from '../transport/endpointRegistry.js';
import { param } from '../transport/params.js';
import { ApiError } from '../transport/apiError.js';
import type { Services } from './services.js';

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

export type Webcam = typeof DEFAULTS & { name: string; stream_url: string; source: 'database'; uid: string };

const ROTATIONS = [0, 90, 180, 270];

function normalise(raw: unknown, uid: string): Webcam | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== 'string') return undefined;
  return { ...DEFAULTS, ...(r as Partial<Webcam>), name: r.name, stream_url: typeof r.stream_url === 'string' ? r.stream_url : '', source: 'database', uid };
}

export function webcamEndpoints(s: Services): Endpoint[] {
  const db = s.database;
  const all = (): Webcam[] => {
    if (!db.hasNamespace(NAMESPACE)) return [];
    return Object.entries(db.namespace(NAMESPACE))
      .map(([uid, v]) => normalise(v, uid))
      .filter((w): w is Webcam => w !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
  };
  const find = (uid: string | undefined, name: string | undefined): Webcam => {
    const cam = all().find((w) => (uid !== undefined ? w.uid === uid : w.name === name));
    if (!cam) throw new ApiError(404, uid !== undefined ? `Webcam with uid ${uid} not found` : `Webcam ${name ?? ''} not found`);
    return cam;
  };
  const announce = () => s.connections.broadcast('notify_webcams_changed', [{ webcams: all() }]);
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
        if (uid === undefined && name === undefined) throw new ApiError(400, 'Missing argument "uid"', -32602);
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
        const fields = Object.fromEntries(Object.entries(p).filter(([k, v]) => v !== undefined && k !== 'uid'));
        const name = (fields.name as string | undefined) ?? existing?.name;
        if (!name) throw new ApiError(400, 'Missing argument "name"', -32602);
        const stream = (fields.stream_url as string | undefined) ?? existing?.stream_url;
        if (!stream) throw new ApiError(400, 'Missing argument "stream_url"', -32602);
        const clash = all().find((w) => w.name === name && w.uid !== existing?.uid);
        if (clash) throw new ApiError(400, `A webcam named "${name}" already exists`);
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
        if (uid === undefined && name === undefined) throw new ApiError(400, 'Missing argument "uid"', -32602);
        const cam = find(uid, name);
        db.delete(NAMESPACE, [cam.uid]);
        announce();
        return { webcam: cam };
      },
    }),
  ];
}
