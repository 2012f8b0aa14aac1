// The server namespace: what the server is and knows, the connection handshake of today's
// clients, the server restart, and the configuration in use.
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import { badRequest } from '../../shared/errors.js';
import type { Kernel } from '../kernel.js';
import { MOONSTATE_VERSION } from '../../version.js';
import { dirname, isAbsolute, relative } from 'node:path';

/**
 * The Moonraker release whose API we answer. Mainsail and Fluidd read `moonraker_version` as
 * "vX.Y.Z-N" and warn below v0.8.0-306/309; our own version follows the dash.
 */
export const MOONRAKER_API_LEVEL = 'v0.10.0';
export const API_VERSION = [1, 5, 0] as const;

/** Klippy objects Moonraker needs for its print management. */
const KLIPPY_REQUIREMENTS = ['virtual_sdcard', 'display_status', 'pause_resume'];

const CLIENT_TYPES = ['web', 'mobile', 'desktop', 'display', 'bot', 'agent', 'other'];

/** Values as JSON: parsed entries (trusted networks) are shown as they were written. */
function jsonValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === 'object' && typeof (v as { entry?: unknown }).entry === 'string') return (v as { entry: string }).entry;
  return v ?? null;
}

/** `registeredDirectories`: the file roots clients may browse (the file manager's). */
export function serverEndpoints(s: Kernel, registeredDirectories: () => string[]): Endpoint[] {
  return [
    rpc({
      method: 'server.info',
      description: 'Server facts: Klippy connection, components, registered roots, warnings, versions',
      http: { verbs: ['GET'], path: '/server/info' },
      params: {},
      // Answered from what the server already holds, never by asking Klippy: a stalled Klippy
      // must not stall the call clients use to find out what is wrong.
      handler: () => {
        const state = s.klippy.state;
        const objects = s.klippy.objects;
        const components = s.components();
        const missing = state === 'ready' && objects.length > 0 ? KLIPPY_REQUIREMENTS.filter((o) => !objects.includes(o)) : [];
        return {
          klippy_connected: s.klippy.isConnected,
          klippy_state: state,
          // From the components that loaded (src/components/index.ts and the config), never by hand.
          components: components.loaded,
          failed_components: components.failed,
          registered_directories: registeredDirectories(),
          warnings: [...s.config.warnings],
          websocket_count: s.connections.size,
          moonraker_version: `${MOONRAKER_API_LEVEL}-0-moonstate.${MOONSTATE_VERSION}`,
          moonstate_version: MOONSTATE_VERSION,
          missing_klippy_requirements: missing,
          api_version: [...API_VERSION],
          api_version_string: API_VERSION.join('.'),
        };
      },
    }),
    rpc({
      method: 'server.config',
      description: 'The configuration in use: typed values, the original strings, the files read',
      http: { verbs: ['GET'], path: '/server/config' },
      params: {},
      handler: () => {
        // Every section of the user's files: typed for those moonstate reads, as written for
        // the others (Mainsail and Fluidd read timelapse, spoolman and the like from here).
        const config: Record<string, Record<string, unknown>> = Object.create(null);
        for (const [section, options] of Object.entries(s.config.parsed)) {
          config[section] = Object.fromEntries(Object.entries(options).map(([o, v]) => [o, jsonValue(v)]));
        }
        // Files are named relative to the main file's folder, as Moonraker names them.
        const main = s.config.configFile;
        const files = main
          ? (s.config.configFiles.length > 0 ? s.config.configFiles : [{ path: main, sections: Object.keys(s.config.orig) }]).map((f) => {
              const rel = relative(dirname(main), f.path);
              return { filename: rel.startsWith('..') || isAbsolute(rel) ? f.path : rel, sections: f.sections };
            })
          : [];
        return { config, orig: s.config.orig, files };
      },
    }),
    rpc({
      method: 'server.connection.identify',
      description: "A websocket client names itself; it then gets today's Moonraker dialect",
      websocket: true,
      params: {
        client_name: param.string({ required: true }),
        version: param.string({ required: true }),
        type: param.string({ required: true, check: (t) => (CLIENT_TYPES.includes(t) ? undefined : `must be one of ${CLIENT_TYPES.join(', ')}`) }),
        url: param.string({ required: true }),
        access_token: param.any(),
        api_key: param.any(),
      },
      handler: ({ client_name, version, type, url }, ctx) => {
        const conn = ctx.connection;
        if (!conn || ctx.transport === 'http') throw badRequest('server.connection.identify is only available over the websocket');
        if (conn.identity) throw badRequest('Connection already identified');
        conn.identity = { client_name, version, type, url };
        // Calling a method that did not exist in the spec's era marks a client of today.
        conn.dialect = 'current';
        return { connection_id: conn.id };
      },
    }),
    rpc({
      method: 'server.websocket.id',
      description: "This websocket's id (deprecated by Moonraker in favour of identify)",
      params: {},
      handler: (_p, ctx) => {
        if (!ctx.connection || ctx.transport === 'http') throw badRequest('server.websocket.id is only available over the websocket');
        return { websocket_id: ctx.connection.id };
      },
    }),
    ...(s.restart === undefined ? [] : [restartEndpoint(s.restart)]),
  ];
}

/** Replies first, then restarts: the reply must leave before the connections close. */
function restartEndpoint(restart: () => void): Endpoint {
  return rpc({
    method: 'server.restart',
    description: 'Restart the server, rereading its config file; a real Klippy is left running (the built-in virtual one restarts too)',
    http: { verbs: ['POST'], path: '/server/restart' },
    params: {},
    handler: () => {
      setTimeout(restart, 100);
      return 'ok';
    },
  });
}
