// The printer namespace of the spec: Klippy's host info, emergency stop and restarts, printer
// objects (list, query, subscribe), endstops and gcode. Most are one request to Klippy.
import { filter, firstValueFrom, timeout } from 'rxjs';
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import { invalidParams, isKind } from '../../shared/errors.js';
import { normaliseSelection, selectionFromQuery } from '../../shared/objectSelection.js';
import { isKlippyState, type ObjectSelection } from '../../shared/klippyProtocol.js';
import type { RequestContext } from '../../transport/requestContext.js';
import type { WsConnection } from '../../transport/wsConnection.js';
import { NOTIFY } from '../../shared/notifications.js';
import type { Kernel } from '../kernel.js';
import type { GcodeStore } from '../data_store/gcodeStore.js';

/** What the printer endpoints use: the kernel's Klippy side and data_store's console history. */
export type PrinterEndpointDeps = Pick<Kernel, 'klippy' | 'subscriptions' | 'connections'> & { gcodeStore: GcodeStore };

/** How long a restart's answer waits for Klippy to drop the socket. */
const RESTART_CLOSE_WAIT_MS = 2000;

/** Query-string keys that are never printer objects. */
const NOT_OBJECTS = new Set(['connection_id', 'token', 'access_token', 'api_key']);

const objectsParam = param.object({
  required: true,
  check: (v) => {
    const r = normaliseSelection(v);
    return typeof r === 'string' ? r : undefined;
  },
});

function selectionOf(objects: Record<string, unknown>): ObjectSelection {
  const r = normaliseSelection(objects);
  if (typeof r === 'string') throw invalidParams(r);
  return r;
}

const objectsFromQuery = (q: URLSearchParams) => ({ objects: selectionFromQuery(q, NOT_OBJECTS) });

/** Subscriber id of a websocket; HTTP subscriptions without a connection share one id. */
export const wsSubscriber = (conn: WsConnection) => `ws:${conn.id}`;
export const HTTP_BROADCAST_SUBSCRIBER = 'http:broadcast';

export function printerEndpoints(s: PrinterEndpointDeps): Endpoint[] {
  const { klippy } = s;

  /**
   * restart/firmware_restart make Klippy drop the socket; losing it is the expected outcome.
   * The answer waits until we have seen it go (Klippy closes at once), so that a client told
   * "ok" no longer reads "ready" anywhere; a Klippy that stays is not waited for long.
   */
  const restart = async (method: string) => {
    const gone = firstValueFrom(klippy.state$.pipe(filter((st) => st === 'disconnected'), timeout({ first: RESTART_CLOSE_WAIT_MS }))).catch(() => undefined);
    try {
      await klippy.request(method);
    } catch (err) {
      if (!(isKind(err, 'klippy_disconnected'))) throw err;
    }
    await gone;
    return 'ok';
  };

  /** Asks Klippy its state now and lets the connection machine follow it (see printer.info). */
  const followKlippyState = async () => {
    const info = await klippy.request('info');
    if (isKlippyState(info.state)) klippy.noteReportedState(info.state, typeof info.state_message === 'string' ? info.state_message : '');
    return info;
  };

  // The spec's HTTP subscribe predates per-connection subscriptions: its objects go to every
  // websocket that has not subscribed on its own. Successive HTTP subscriptions accumulate,
  // as the spec's "superset of all client subscriptions" did.
  let httpSelection: ObjectSelection = {};
  const subscribeFor = (ctx: RequestContext, sel: ObjectSelection) => {
    const conn = ctx.connection;
    if (conn) {
      return s.subscriptions.subscribe(wsSubscriber(conn), sel, (status, eventtime) =>
        conn.notify(NOTIFY.statusUpdate, [status, eventtime]),
      );
    }
    httpSelection = { ...httpSelection, ...sel };
    return s.subscriptions
      .subscribe(HTTP_BROADCAST_SUBSCRIBER, httpSelection, (status, eventtime) =>
        s.connections.broadcast(NOTIFY.statusUpdate, [status, eventtime], (c) => !c.hasOwnSubscription),
      )
      .then((reply) => ({ eventtime: reply.eventtime, status: Object.fromEntries(Object.entries(reply.status).filter(([k]) => Object.hasOwn(sel, k))) }));
  };

  return [
    rpc({
      method: 'printer.info',
      description: "Klippy's host information and state",
      http: { verbs: ['GET', 'POST'], path: '/printer/info' },
      params: {},
      // Klippy's host facts, but its state as the connection machine has it: Klippy says
      // "ready" a moment before we have subscribed and can take a print, and a client that reads
      // "ready" here must be able to start one (server.info and the print endpoints read the
      // same machine). The reply itself is a report of Klippy's state and is fed to it first.
      handler: async () => {
        const info = await followKlippyState();
        return { ...info, state: klippy.state, state_message: klippy.reportedMessage };
      },
    }),
    rpc({
      method: 'printer.emergency_stop',
      description: 'Shut Klippy down at once (M112)',
      http: { verbs: ['POST'], path: '/printer/emergency_stop' },
      params: {},
      handler: async () => {
        await klippy.request('emergency_stop');
        // Klippy is shut down now, but says so on its next status tick only: ask, so that a
        // client told "ok" reads "shutdown" everywhere at once.
        await followKlippyState().catch(() => undefined);
        return 'ok';
      },
    }),
    rpc({
      method: 'printer.restart',
      description: 'Restart the Klippy host software',
      http: { verbs: ['POST'], path: '/printer/restart' },
      params: {},
      handler: () => restart('gcode/restart'),
    }),
    rpc({
      method: 'printer.firmware_restart',
      description: 'Restart the MCUs and the Klippy host software',
      http: { verbs: ['POST'], path: '/printer/firmware_restart' },
      params: {},
      handler: () => restart('gcode/firmware_restart'),
    }),
    rpc({
      method: 'printer.objects.list',
      description: 'Printer objects available for query and subscription',
      http: { verbs: ['GET', 'POST'], path: '/printer/objects/list' },
      params: {},
      handler: () => klippy.request('objects/list'),
    }),
    rpc({
      method: 'printer.objects.query',
      description: 'Current status of printer objects',
      http: { verbs: ['GET', 'POST'], path: '/printer/objects/query' },
      params: { objects: objectsParam },
      paramsFromHttpQuery: objectsFromQuery,
      handler: ({ objects }) => {
        const sel = selectionOf(objects);
        return s.subscriptions.query(sel);
      },
    }),
    rpc({
      method: 'printer.objects.subscribe',
      description: 'Subscribe to printer objects; changes arrive as notify_status_update',
      http: { verbs: ['GET', 'POST'], path: '/printer/objects/subscribe' },
      params: { objects: objectsParam },
      paramsFromHttpQuery: objectsFromQuery,
      handler: ({ objects }, ctx) => {
        const sel = selectionOf(objects);
        if (ctx.connection) ctx.connection.hasOwnSubscription = Object.keys(sel).length > 0;
        return subscribeFor(ctx, sel);
      },
    }),
    rpc({
      method: 'printer.query_endstops.status',
      description: 'State of each endstop (open or TRIGGERED)',
      http: { verbs: ['GET', 'POST'], path: '/printer/query_endstops/status' },
      params: {},
      handler: () => klippy.request('query_endstops/status'),
    }),
    rpc({
      method: 'printer.gcode.script',
      description: 'Run gcode; answers once it has run',
      http: { verbs: ['GET', 'POST'], path: '/printer/gcode/script' },
      params: { script: param.string({ required: true }) },
      handler: async ({ script }) => {
        s.gcodeStore.recordCommand(script);
        await klippy.request('gcode/script', { script });
        return 'ok';
      },
    }),
    rpc({
      method: 'printer.gcode.help',
      description: 'Registered gcode commands and their help texts',
      http: { verbs: ['GET', 'POST'], path: '/printer/gcode/help' },
      params: {},
      handler: () => klippy.request('gcode/help'),
    }),
  ];
}
