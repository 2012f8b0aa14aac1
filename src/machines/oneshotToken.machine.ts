// The life of one oneshot token (GET /access/oneshot_token): issued to one client address, it
// opens one request (HTTP or a websocket upgrade) from that address, once, within 5 seconds.
// `used` and `expired` are final; the token store drops the machine as soon as it gets there.
//
// Pure: the expiry is a named delay, so a test moves time with xstate's SimulatedClock. The
// token's secret value is not part of the context (nothing here needs it, and an inspector
// should never see it); the store maps secrets to machines.
import { setup } from 'xstate';

/** Moonraker's lifetime of a oneshot token. */
export const ONESHOT_TOKEN_TTL_MS = 5000;

export type OneshotTokenEvent =
  /** A request from `address` presents the token. */
  { type: 'REDEEM'; address: string };

export interface OneshotTokenInput {
  /** The client address the token was issued to; only it may redeem the token. */
  address: string;
  ttlMs?: number;
}

export interface OneshotTokenContext {
  address: string;
  ttlMs: number;
}

export const oneshotTokenMachine = setup({
  types: {
    context: {} as OneshotTokenContext,
    events: {} as OneshotTokenEvent,
    input: {} as OneshotTokenInput,
  },
  guards: {
    fromOwner: ({ context, event }) => event.address === context.address,
  },
  delays: {
    ttl: ({ context }) => context.ttlMs,
  },
}).createMachine({
  id: 'oneshotToken',
  context: ({ input }) => ({ address: input.address, ttlMs: input.ttlMs ?? ONESHOT_TOKEN_TTL_MS }),
  initial: 'issued',
  states: {
    issued: {
      after: { ttl: 'expired' },
      on: {
        // From another address the token stays unused: it is refused there and still
        // works for its owner until it expires.
        REDEEM: { guard: 'fromOwner', target: 'used' },
      },
    },
    used: { type: 'final' },
    expired: { type: 'final' },
  },
});

export type OneshotTokenMachine = typeof oneshotTokenMachine;
