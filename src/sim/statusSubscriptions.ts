// objects/list, objects/query and objects/subscribe (webhooks.py QueryStatusHelper).
// One timer ticks every 0.25 s of real time while anyone is querying or subscribed. Each tick
// asks each needed object for its status once; queries get every requested field, subscribers
// get only the fields that changed since the previous tick (nothing at all if nothing changed).

import type { JsonObject, ObjectSelection, StatusReply } from '../shared/klippyProtocol.js';
import { deepEqual } from './deepEqual.js';
import type { Printer } from './printer.js';
import type { WebConnection, WebRequest } from './webhooks.js';
import { WebRequestError } from './webhooks.js';

const SUBSCRIPTION_REFRESH_MS = 250;

interface Subscriber {
  conn: WebConnection;
  objects: ObjectSelection;
  template: JsonObject;
}

interface PendingQuery {
  objects: ObjectSelection;
  resolve: (reply: StatusReply) => void;
}

export class StatusSubscriptions {
  private readonly clients = new Map<WebConnection, Subscriber>();
  private pending: PendingQuery[] = [];
  private lastQuery = new Map<string, JsonObject>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly printer: Printer,
    private readonly tickMs = SUBSCRIPTION_REFRESH_MS,
  ) {
    const wh = printer.webhooks;
    wh.registerEndpoint('objects/list', (req) => req.send({ objects: [...printer.statusObjects.keys()] }));
    wh.registerEndpoint('objects/query', (req) => this.handleQuery(req, false));
    wh.registerEndpoint('objects/subscribe', (req) => this.handleQuery(req, true));
  }

  private async handleQuery(req: WebRequest, isSubscribe: boolean): Promise<void> {
    const objects = req.getDict('objects');
    for (const [, fields] of Object.entries(objects)) {
      if (fields !== null && (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string'))) {
        throw new WebRequestError('Invalid argument');
      }
    }
    const selection = objects as ObjectSelection;
    const template = req.getDict('response_template', {});
    if (isSubscribe) this.clients.delete(req.conn);
    const reply = await new Promise<StatusReply>((resolve) => {
      this.pending.push({ objects: selection, resolve });
      this.startTimer();
    });
    req.send(reply as unknown as JsonObject);
    if (isSubscribe) this.clients.set(req.conn, { conn: req.conn, objects: selection, template });
  }

  private startTimer(): void {
    if (this.timer !== undefined || this.stopped) return;
    // The first query runs at once; later ones wait for the next tick, as in Klippy.
    this.timer = setTimeout(() => this.tick(), 0);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const eventtime = this.printer.clock.now();
    const last = this.lastQuery;
    const query = new Map<string, JsonObject>();
    const statusOf = (name: string): JsonObject => {
      let res = query.get(name);
      if (res === undefined) {
        res = this.printer.statusObjects.get(name)?.getStatus(eventtime) ?? {};
        query.set(name, res);
      }
      return res;
    };
    const pending = this.pending;
    this.pending = [];
    for (const q of pending) {
      const status: Record<string, JsonObject> = {};
      for (const [name, fields] of Object.entries(q.objects)) {
        const res = statusOf(name);
        const out: JsonObject = {};
        for (const f of fields ?? Object.keys(res)) out[f] = Object.hasOwn(res, f) ? res[f] : null;
        status[name] = out;
      }
      q.resolve({ eventtime, status });
    }
    for (const sub of [...this.clients.values()]) {
      if (sub.conn.isClosed()) {
        this.clients.delete(sub.conn);
        continue;
      }
      const status: Record<string, JsonObject> = {};
      for (const [name, fields] of Object.entries(sub.objects)) {
        const res = statusOf(name);
        let items = fields;
        if (items === null) {
          // "All fields" means the fields the object had when first evaluated.
          items = Object.keys(res);
          if (items.length) sub.objects[name] = items;
        }
        const prev = last.get(name) ?? {};
        const changed: JsonObject = {};
        let any = false;
        for (const f of items) {
          const v = Object.hasOwn(res, f) ? res[f] : null;
          const p = Object.hasOwn(prev, f) ? prev[f] : null;
          if (!deepEqual(v, p)) {
            changed[f] = v;
            any = true;
          }
        }
        if (any) status[name] = changed;
      }
      if (Object.keys(status).length) sub.conn.send({ ...sub.template, params: { eventtime, status } });
    }
    this.lastQuery = query;
    // Keep ticking only while something was queried; an idle printer costs nothing.
    if (query.size > 0 || this.pending.length > 0) {
      this.timer = setTimeout(() => this.tick(), this.tickMs);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
