// The one status subscription we hold on Klippy's socket: the union of every client's and the
// server's own selections (Klippy keeps one subscription per socket). Its lifecycle is what
// clients feel: nothing before the first connection, the first union being sent, the union live
// (and re-sent whenever it changes), lost when Klippy goes away, restored when it is back.
//
// The machine also decides when the cached values may answer a query (read-your-writes): once
// a request that may change the printer has been acknowledged, the cache is stale until Klippy
// has produced data after that acknowledgement (a status update, a subscribe reply, or a query
// of the whole union sent after it). Requests are counted, so a reply to something sent before
// the latest acknowledgement does not make the cache fresh.
//
// Pure: the actor (actors/statusSubscriptions.actor.ts) sends the requests and reports them here.
import { assign, setup } from 'xstate';

export type StatusSubscriptionEvent =
  /** objects/subscribe with the union is on its way to Klippy. */
  | { type: 'SUBSCRIBE_SENT' }
  /** Klippy answered it; `through` is the count of acknowledged writes when it was sent. */
  | { type: 'SUBSCRIBED'; through: number }
  | { type: 'SUBSCRIBE_FAILED' }
  /** The socket to Klippy closed: Klippy forgets our subscription, our cache is gone. */
  | { type: 'KLIPPY_LOST' }
  /** A request that may have changed the printer's state was acknowledged by Klippy. */
  | { type: 'WRITE_ACKED' }
  /** Klippy pushed a status update: it reflects everything acknowledged before it arrived. */
  | { type: 'STATUS_RECEIVED' }
  /** A query of the whole union, sent when `through` writes were acknowledged, was answered. */
  | { type: 'REFRESHED'; through: number };

export interface StatusSubscriptionContext {
  /** Writes acknowledged so far. */
  acked: number;
  /** The cache holds Klippy's data from after this many acknowledged writes. */
  freshThrough: number;
}

/**
 * `unionLive`: Klippy holds our union and its updates flow (the cache follows Klippy);
 * `cacheFresh`: moreover nothing acknowledged since Klippy last produced data, so the cache
 * may answer a query at once.
 */
export type StatusSubscriptionTag = 'unionLive' | 'cacheFresh';

const toActive = [
  { guard: 'freshAfterReply', target: '#statusSubscription.active.fresh', actions: 'recordReply' },
  { target: '#statusSubscription.active.stale', actions: 'recordReply' },
] as const;

export const statusSubscriptionMachine = setup({
  types: {
    context: {} as StatusSubscriptionContext,
    events: {} as StatusSubscriptionEvent,
    tags: {} as StatusSubscriptionTag,
  },
  guards: {
    freshAfterReply: ({ context, event }) =>
      (event.type === 'SUBSCRIBED' || event.type === 'REFRESHED') && Math.max(event.through, context.freshThrough) >= context.acked,
  },
  actions: {
    countWrite: assign({ acked: ({ context }) => context.acked + 1 }),
    recordStatus: assign({ freshThrough: ({ context }) => context.acked }),
    recordReply: assign({
      freshThrough: ({ context, event }) =>
        event.type === 'SUBSCRIBED' || event.type === 'REFRESHED' ? Math.max(context.freshThrough, event.through) : context.freshThrough,
    }),
  },
}).createMachine({
  id: 'statusSubscription',
  context: { acked: 0, freshThrough: 0 },
  initial: 'none',
  on: {
    // Counted in every state: a reply to a request sent before an acknowledgement is not fresh.
    WRITE_ACKED: { actions: 'countWrite' },
    STATUS_RECEIVED: { actions: 'recordStatus' },
  },
  states: {
    none: {
      on: { SUBSCRIBE_SENT: 'subscribing' },
    },
    subscribing: {
      on: {
        SUBSCRIBED: toActive,
        SUBSCRIBE_FAILED: 'none',
        KLIPPY_LOST: 'lost',
      },
    },
    active: {
      tags: 'unionLive',
      initial: 'stale',
      on: {
        SUBSCRIBE_SENT: 'resubscribing',
        KLIPPY_LOST: 'lost',
        WRITE_ACKED: { target: '.stale', actions: 'countWrite' },
        STATUS_RECEIVED: { target: '.fresh', actions: 'recordStatus' },
        REFRESHED: [{ guard: 'freshAfterReply', target: '.fresh', actions: 'recordReply' }, { actions: 'recordReply' }],
      },
      states: {
        fresh: { tags: 'cacheFresh' },
        stale: {},
      },
    },
    // The union changed (a client subscribed, left, or the server watches something new): the
    // old one still flows until Klippy takes the new one, but queries go to Klippy meanwhile.
    resubscribing: {
      tags: 'unionLive',
      on: {
        SUBSCRIBED: toActive,
        // Klippy refused the new union and kept the old one.
        SUBSCRIBE_FAILED: 'active.stale',
        KLIPPY_LOST: 'lost',
      },
    },
    lost: {
      on: { SUBSCRIBE_SENT: 'restoring' },
    },
    // Klippy is back (a new socket): the whole union is sent before Klippy is announced ready.
    restoring: {
      on: {
        SUBSCRIBED: toActive,
        SUBSCRIBE_FAILED: 'lost',
        KLIPPY_LOST: 'lost',
      },
    },
  },
});

export type StatusSubscriptionMachine = typeof statusSubscriptionMachine;
