// The live oneshot tokens: one oneshotToken machine per issued token, keyed by the token's
// secret. A machine that reaches `used` or `expired` is stopped and forgotten at once, and the
// number alive at a time is capped, so the store stays small however many tokens are asked for.
// Every token is registered with the log's redaction while it lives.
import { randomBytes } from 'node:crypto';
import { createActor, type Actor, type ActorOptions, type AnyActorLogic, type InspectionEvent } from 'xstate';
import { oneshotTokenMachine, ONESHOT_TOKEN_TTL_MS } from '../../machines/oneshotToken.machine.js';
import { normaliseAddress } from '../../shared/clientAddress.js';
import { logSink } from '../../logger.js';

/** The clock xstate runs delays on: the real one, or a SimulatedClock in tests. */
export type TokenClock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

export interface OneshotTokensOptions {
  clock?: TokenClock;
  /** Receives each token machine's inspection events (the live inspector). */
  inspect?: (ev: InspectionEvent) => void;
  ttlMs?: number;
  /** Most tokens alive at once; issuing one more retires the oldest (default 1024). */
  maxLive?: number;
  /** Source of randomness (tests may make it predictable). */
  random?: (bytes: number) => Buffer;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding: 20 bytes make exactly 32 characters. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

type TokenActor = Actor<typeof oneshotTokenMachine>;

export class OneshotTokens {
  private readonly live = new Map<string, TokenActor>();
  private readonly random: (bytes: number) => Buffer;

  constructor(private readonly opts: OneshotTokensOptions = {}) {
    this.random = opts.random ?? randomBytes;
  }

  /** A new token for requests from `address`: 32 base32 characters from 20 random bytes. */
  issue(address: string): string {
    let token = base32(this.random(20));
    while (this.live.has(token)) token = base32(this.random(20));
    const max = this.opts.maxLive ?? 1024;
    while (this.live.size >= max) this.remove(this.live.keys().next().value!);
    const actor = createActor(oneshotTokenMachine, {
      input: { address: normaliseAddress(address), ttlMs: this.opts.ttlMs ?? ONESHOT_TOKEN_TTL_MS },
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      ...(this.opts.inspect ? { inspect: this.opts.inspect } : {}),
    });
    this.live.set(token, actor);
    logSink.redact(token);
    actor.subscribe((snap) => {
      if (snap.status === 'done') this.remove(token);
    });
    actor.start();
    return token;
  }

  /** The address a live token was issued to; undefined for unknown, used or expired tokens. */
  issuedTo(token: string): string | undefined {
    const actor = this.live.get(token);
    if (!actor) return undefined;
    const snap = actor.getSnapshot();
    return snap.value === 'issued' ? snap.context.address : undefined;
  }

  /** Spends a token for a request from `address`; true if it was live and issued to that address. */
  redeem(token: string, address: string): boolean {
    const actor = this.live.get(token);
    if (!actor) return false;
    actor.send({ type: 'REDEEM', address: normaliseAddress(address) });
    return actor.getSnapshot().value === 'used';
  }

  /** Tokens alive now. */
  get size(): number {
    return this.live.size;
  }

  /** Stops every token's machine (and its timer); the server calls this when it stops. */
  dispose(): void {
    for (const token of [...this.live.keys()]) this.remove(token);
  }

  private remove(token: string): void {
    const actor = this.live.get(token);
    if (!actor) return;
    this.live.delete(token);
    actor.stop();
    logSink.forget(token);
  }
}
