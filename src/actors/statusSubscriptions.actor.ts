// Klippy keeps one subscription per socket, so every client's subscription is merged into one
// union that we send to Klippy; Klippy's diffs are then filtered back out per subscriber. The
// merged values are kept in a cache, fresh to Klippy's last tick, which also answers a
// subscriber whose objects Klippy already sends without asking Klippy again.
//
// Subscribers are websocket connections (notify_status_update) and the server's own components
// (job state, temperature store); the latter are "persistent" and survive Klippy reconnects.
//
// The subscription's lifecycle and the cache's freshness (read-your-writes: no answer from the
// cache with data older than a state-changing request the client has seen acknowledged) are
// machines/statusSubscription.machine.ts, which this actor runs and reports to.
import type { Subscription } from 'rxjs';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { statusSubscriptionMachine } from '../machines/statusSubscription.machine.js';
import type { JsonObject, ObjectSelection, StatusReply } from '../shared/klippyProtocol.js';
import { STATUS_UPDATE_METHOD, isKlippyState } from '../shared/klippyProtocol.js';
import {
  answerFromStatus,
  compileSelection,
  pickStatus,
  sameSelection,
  selectionCovers,
  unionSelections,
  type CompiledSelection,
} from '../shared/objectSelection.js';
import { unavailable } from '../shared/errors.js';
import type { KlippyConnection } from './klippyConnection.actor.js';
import { KLIPPY_NOT_CONNECTED } from './klippyConnection.actor.js';
import { getLogger } from '../logger.js';

const log = getLogger('subscriptions');

export type StatusDelivery = (status: Record<string, JsonObject>, eventtime: number) => void;

interface Subscriber {
  selection: ObjectSelection;
  compiled: CompiledSelection;
  deliver: StatusDelivery;
}

/** Moonraker waits this long for Klippy to answer objects/subscribe. */
const SUBSCRIBE_TIMEOUT_MS = 20_000;

export class StatusSubscriptions {
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly cache = new Map<string, JsonObject>();
  private eventtime = 0;
  /** performance.now() when `eventtime` was received: Klippy's clock is monotonic, like ours. */
  private eventtimeAt = 0;
  /** The union Klippy currently has for us; undefined when nothing was sent on this socket. */
  private klippyUnion: ObjectSelection | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly subs: Subscription[] = [];
  /** The query of the whole union in flight, and the writes acknowledged when it was sent. */
  private refreshing: { through: number; done: Promise<void> } | undefined;
  readonly actor: Actor<typeof statusSubscriptionMachine>;

  constructor(
    private readonly klippy: KlippyConnection,
    opts: { inspect?: (ev: InspectionEvent) => void } = {},
  ) {
    this.actor = createActor(statusSubscriptionMachine, opts.inspect ? { inspect: opts.inspect } : {});
    this.actor.start();
    this.subs.push(
      klippy.status$.subscribe((update) => this.onKlippyUpdate(update)),
      klippy.state$.subscribe((state) => {
        if (state === 'disconnected') {
          this.cache.clear();
          this.klippyUnion = undefined;
          this.refreshing = undefined;
          this.actor.send({ type: 'KLIPPY_LOST' });
        }
      }),
      klippy.writeAcked$.subscribe(() => this.actor.send({ type: 'WRITE_ACKED' })),
    );
    // The connection machine follows Klippy's state through `webhooks`, so it always rides along.
    this.watch('klippy:webhooks', { webhooks: ['state', 'state_message'] }, () => {});
    // Each new Klippy connection gets the whole union before anyone is told Klippy is ready.
    klippy.onInitialize(() => this.enqueue(() => this.sendUnion()));
  }

  dispose(): void {
    for (const s of this.subs) s.unsubscribe();
    this.actor.stop();
  }

  /** Writes Klippy has acknowledged so far (the machine's count). */
  private get acked(): number {
    return this.actor.getSnapshot().context.acked;
  }

  /** The cached status of one object (fresh to Klippy's last tick), if it is subscribed. */
  current(object: string): JsonObject | undefined {
    return this.cache.get(object);
  }

  /**
   * Answers a one-shot query from the cache when the live subscription already covers it and
   * the cache is fresh, so the client need not wait up to a whole 0.25 s tick for Klippy's
   * reply. Undefined when it cannot be trusted: Klippy not ready, the union not live, objects or
   * fields the union does not carry (all fields, `null`, count only where the union asks for all
   * fields), or a state-changing request acknowledged since Klippy last reported (the
   * machine's `cacheFresh` tag). The values are those of Klippy's last tick that changed
   * something; they still hold now (Klippy would have sent a change), so the eventtime is
   * Klippy's clock now, not that tick's.
   */
  cachedQuery(selection: ObjectSelection): StatusReply | undefined {
    if (!this.covers(selection) || !this.actor.getSnapshot().hasTag('cacheFresh')) return undefined;
    return { eventtime: this.klippyNow(), status: answerFromStatus(Object.fromEntries(this.cache), selection) };
  }

  /** The live union covers `selection` and Klippy is ready: the cache can answer it once fresh. */
  private covers(selection: ObjectSelection): boolean {
    if (this.klippyUnion === undefined || !this.klippy.isConnected || !this.klippy.isReady) return false;
    return this.actor.getSnapshot().hasTag('unionLive') && selectionCovers(this.klippyUnion, selection);
  }

  /**
   * printer.objects.query: from the cache when it is fresh; when only a write since Klippy's
   * last report stands in the way, one query of the whole union (shared by every query waiting
   * meanwhile) makes it fresh again and answers; anything else is forwarded to Klippy.
   */
  async query(selection: ObjectSelection): Promise<StatusReply> {
    const cached = this.cachedQuery(selection);
    if (cached) return cached;
    if (this.covers(selection)) {
      await this.refresh().catch((err: Error) => log.debug(`refresh: ${err.message}`));
      const fresh = this.cachedQuery(selection);
      if (fresh) return fresh;
    }
    return (await this.klippy.request('objects/query', { objects: selection })) as unknown as StatusReply;
  }

  /**
   * Asks Klippy for the whole union now; its reply was produced after every write acknowledged
   * before it was sent. Waiters share one query as long as no write was acknowledged since.
   */
  private refresh(): Promise<void> {
    const through = this.acked;
    if (this.refreshing && this.refreshing.through >= through) return this.refreshing.done;
    const union = this.klippyUnion;
    if (union === undefined) return Promise.resolve();
    const entry = {
      through,
      done: this.klippy.request('objects/query', { objects: union }).then((reply) => {
        if (this.refreshing === entry) this.refreshing = undefined;
        // Klippy went away (or the union was replaced) meanwhile: this answer is of no use.
        if (this.klippyUnion !== union) return;
        const changed = this.absorbWholeUnion(reply);
        this.actor.send({ type: 'REFRESHED', through });
        this.fanOutChanged(changed);
      }),
    };
    entry.done.catch(() => {
      if (this.refreshing === entry) this.refreshing = undefined;
    });
    this.refreshing = entry;
    return entry.done;
  }

  /** Klippy's eventtime now, carried forward from the last one it sent. */
  private klippyNow(): number {
    if (this.eventtime === 0) return 0;
    return this.eventtime + (performance.now() - this.eventtimeAt) / 1000;
  }

  private setEventtime(eventtime: number): void {
    this.eventtime = eventtime;
    this.eventtimeAt = performance.now();
  }

  /** The union of every subscriber's selection: what Klippy is (or will be) asked for. */
  union(): ObjectSelection {
    return unionSelections([...this.subscribers.values()].map((s) => s.selection));
  }

  /**
   * Registers the server's own interest in some objects. It is kept across Klippy reconnects and
   * sent with the union at each initialization.
   */
  watch(id: string, selection: ObjectSelection, deliver: StatusDelivery): void {
    this.subscribers.set(id, { selection, compiled: compileSelection(selection), deliver });
    if (this.klippy.isConnected && this.unionSent) {
      void this.enqueue(() => this.sendUnionIfChanged()).catch((err: Error) => log.warn(`watch ${id}: ${err.message}`));
    }
  }

  /**
   * Replaces subscriber `id`'s selection and answers with the current values of everything it
   * asked for. An empty selection removes the subscription.
   */
  async subscribe(id: string, selection: ObjectSelection, deliver: StatusDelivery): Promise<StatusReply> {
    if (!this.klippy.isConnected) throw unavailable(KLIPPY_NOT_CONNECTED);
    if (Object.keys(selection).length === 0) {
      this.unsubscribe(id);
      return { eventtime: this.klippyNow(), status: {} };
    }
    this.subscribers.set(id, { selection, compiled: compileSelection(selection), deliver });
    return this.enqueue(async () => {
      // The requester gets the full values in the reply, so not again as an update.
      await this.sendUnionIfChanged(id);
      // An unchanged union is answered from the cache: only once it is fresh (read-your-writes).
      if (!this.actor.getSnapshot().hasTag('cacheFresh')) await this.refresh();
      return { eventtime: this.klippyNow(), status: answerFromStatus(Object.fromEntries(this.cache), selection) };
    });
  }

  /** A union was (or is being) sent on this socket: later changes must follow it. */
  private get unionSent(): boolean {
    const snap = this.actor.getSnapshot();
    return !snap.matches('none') && !snap.matches('lost');
  }

  unsubscribe(id: string): void {
    if (!this.subscribers.delete(id)) return;
    if (this.klippy.isConnected && this.unionSent) {
      void this.enqueue(() => this.sendUnionIfChanged()).catch((err: Error) => log.debug(`unsubscribe ${id}: ${err.message}`));
    }
  }

  /** Union changes are sent one at a time so Klippy always ends with the latest union. */
  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendUnionIfChanged(requester?: string): Promise<void> {
    const union = this.union();
    if (this.klippyUnion !== undefined && sameSelection(union, this.klippyUnion)) return;
    await this.sendUnion(requester);
  }

  private async sendUnion(requester?: string): Promise<void> {
    const union = this.union();
    const through = this.acked;
    this.actor.send({ type: 'SUBSCRIBE_SENT' });
    let reply: JsonObject;
    try {
      reply = await this.klippy.request(
        'objects/subscribe',
        { objects: union, response_template: { method: STATUS_UPDATE_METHOD } },
        { timeoutMs: SUBSCRIBE_TIMEOUT_MS },
      );
    } catch (err) {
      this.actor.send({ type: 'SUBSCRIBE_FAILED' });
      throw err;
    }
    // The socket closed while we waited: the reply (if any) is of a connection now gone.
    if (!this.klippy.isConnected) return;
    this.klippyUnion = union;
    const changed = this.absorbWholeUnion(reply);
    this.actor.send({ type: 'SUBSCRIBED', through });
    this.fanOutChanged(changed, requester);
  }

  /**
   * Takes a reply holding the whole union (objects/subscribe, or objects/query of the union) as
   * the cache's new content, and returns what changed relative to it.
   */
  private absorbWholeUnion(reply: JsonObject): { status: Record<string, JsonObject>; eventtime: number } {
    const eventtime = typeof reply.eventtime === 'number' ? reply.eventtime : this.eventtime;
    const status = (typeof reply.status === 'object' && reply.status !== null ? reply.status : {}) as Record<string, JsonObject>;
    const changed: Record<string, JsonObject> = {};
    // Klippy's state as this reply shows it goes to the connection machine too: an `info` that
    // said shutdown followed by a subscribe reply that says ready would otherwise leave the
    // machine at shutdown, since later updates carry webhooks only when it changes again.
    const wh = Object.hasOwn(status, 'webhooks') ? status.webhooks : undefined;
    if (wh && isKlippyState(wh.state)) this.klippy.noteReportedState(wh.state, typeof wh.state_message === 'string' ? wh.state_message : '');
    for (const [obj, values] of Object.entries(status)) {
      if (!this.inUnion(obj)) continue;
      const before = this.cache.get(obj);
      for (const [field, v] of Object.entries(values)) {
        if (before === undefined || !(field in before) || JSON.stringify(before[field]) !== JSON.stringify(v)) {
          (changed[obj] ??= {})[field] = v;
        }
      }
    }
    for (const obj of [...this.cache.keys()]) if (!(obj in status)) this.cache.delete(obj);
    for (const [obj, values] of Object.entries(status)) if (this.inUnion(obj)) this.cache.set(obj, { ...values });
    this.setEventtime(eventtime);
    return { status: changed, eventtime };
  }

  /**
   * What changed relative to the cache goes to every subscriber as an ordinary update, so a
   * subscriber never misses a value because someone else's subscription or query refreshed the
   * cache (Klippy may send the same value again on its next tick: harmless).
   */
  private fanOutChanged(changed: { status: Record<string, JsonObject>; eventtime: number }, except?: string): void {
    if (Object.keys(changed.status).length > 0) this.fanOut(changed.status, changed.eventtime, except);
  }

  /**
   * Only objects of the union Klippy has for us are cached: a Klippy that names objects nobody
   * subscribed to (a hostile or broken one can invent any number) must not grow the cache.
   */
  private inUnion(obj: string): boolean {
    return this.klippyUnion !== undefined && Object.hasOwn(this.klippyUnion, obj);
  }

  private onKlippyUpdate(update: StatusReply): void {
    for (const [obj, values] of Object.entries(update.status)) {
      if (!this.inUnion(obj)) continue;
      const entry = this.cache.get(obj);
      if (entry) Object.assign(entry, values);
      else this.cache.set(obj, { ...values });
    }
    this.setEventtime(update.eventtime);
    this.actor.send({ type: 'STATUS_RECEIVED' });
    this.fanOut(update.status, update.eventtime);
  }

  private fanOut(status: Record<string, JsonObject>, eventtime: number, except?: string): void {
    for (const [id, sub] of this.subscribers) {
      if (id === except) continue;
      const picked = pickStatus(status, sub.compiled);
      if (picked === undefined) continue;
      try {
        sub.deliver(picked, eventtime);
      } catch (err) {
        log.error(`delivering status to ${id}: ${(err as Error).message}`);
      }
    }
  }
}
