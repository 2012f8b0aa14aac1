// The oneshot token's life on a simulated clock: used once by its owner, refused to other
// addresses, expired after exactly 5 s; and the store that keeps one machine per live token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, SimulatedClock } from 'xstate';
import { oneshotTokenMachine as machine, ONESHOT_TOKEN_TTL_MS } from '../../src/machines/oneshotToken.machine.js';
import { OneshotTokens, base32 } from '../../src/components/authorization/oneshotTokens.actor.js';
import { logSink } from '../../src/logger.js';

logSink.console = false;

function start(clock: SimulatedClock, ttlMs?: number) {
  const actor = createActor(machine, { input: { address: '10.0.0.5', ...(ttlMs ? { ttlMs } : {}) }, clock });
  actor.start();
  return actor;
}

test('a token is issued, then used by its owner, and used is final', () => {
  const clock = new SimulatedClock();
  const actor = start(clock);
  assert.equal(actor.getSnapshot().value, 'issued');
  actor.send({ type: 'REDEEM', address: '10.0.0.5' });
  assert.equal(actor.getSnapshot().value, 'used');
  assert.equal(actor.getSnapshot().status, 'done');
  clock.increment(ONESHOT_TOKEN_TTL_MS * 2);
  assert.equal(actor.getSnapshot().value, 'used');
});

test('another address cannot use it, and the owner still can', () => {
  const clock = new SimulatedClock();
  const actor = start(clock);
  actor.send({ type: 'REDEEM', address: '10.0.0.6' });
  assert.equal(actor.getSnapshot().value, 'issued');
  actor.send({ type: 'REDEEM', address: '10.0.0.5' });
  assert.equal(actor.getSnapshot().value, 'used');
});

test('it expires after exactly 5 s, and an expired token cannot be used', () => {
  const clock = new SimulatedClock();
  const actor = start(clock);
  clock.increment(ONESHOT_TOKEN_TTL_MS - 1);
  assert.equal(actor.getSnapshot().value, 'issued');
  clock.increment(1);
  assert.equal(actor.getSnapshot().value, 'expired');
  assert.equal(actor.getSnapshot().status, 'done');
  actor.send({ type: 'REDEEM', address: '10.0.0.5' });
  assert.equal(actor.getSnapshot().value, 'expired');
});

test('the lifetime can be set per token', () => {
  const clock = new SimulatedClock();
  const actor = start(clock, 100);
  clock.increment(100);
  assert.equal(actor.getSnapshot().value, 'expired');
});

test('base32 of 20 bytes is 32 characters of RFC 4648', () => {
  assert.equal(base32(Buffer.from('foobar')), 'MZXW6YTBOI'); // RFC 4648 test vector, unpadded
  assert.equal(base32(Buffer.alloc(20, 0xff)), '7'.repeat(32));
  assert.equal(base32(Buffer.alloc(20)), 'A'.repeat(32));
});

test('the store issues unguessable tokens, each good once from its address', () => {
  const tokens = new OneshotTokens({ clock: new SimulatedClock() });
  const a = tokens.issue('10.0.0.5');
  const b = tokens.issue('::ffff:10.0.0.5');
  assert.match(a, /^[A-Z2-7]{32}$/);
  assert.notEqual(a, b);
  assert.equal(tokens.size, 2);
  assert.equal(tokens.issuedTo(a), '10.0.0.5');
  assert.equal(tokens.issuedTo(b), '10.0.0.5', 'IPv4-mapped addresses are unwrapped');
  assert.equal(tokens.redeem(a, '10.0.0.9'), false);
  assert.equal(tokens.redeem(a, '10.0.0.5'), true);
  assert.equal(tokens.redeem(a, '10.0.0.5'), false, 'single use');
  assert.equal(tokens.issuedTo(a), undefined);
  assert.equal(tokens.size, 1, 'a used token is removed');
  assert.equal(tokens.redeem('NOTATOKEN', '10.0.0.5'), false);
  tokens.dispose();
  assert.equal(tokens.size, 0);
});

test('the store drops tokens as they expire', () => {
  const clock = new SimulatedClock();
  const tokens = new OneshotTokens({ clock });
  const early = tokens.issue('10.0.0.5');
  clock.increment(3000);
  const late = tokens.issue('10.0.0.5');
  clock.increment(2000);
  assert.equal(tokens.issuedTo(early), undefined);
  assert.equal(tokens.redeem(early, '10.0.0.5'), false);
  assert.equal(tokens.issuedTo(late), '10.0.0.5');
  assert.equal(tokens.size, 1);
  clock.increment(3000);
  assert.equal(tokens.size, 0);
  assert.equal(tokens.redeem(late, '10.0.0.5'), false);
});

test('the store is bounded: past the cap the oldest token is retired', () => {
  const tokens = new OneshotTokens({ clock: new SimulatedClock(), maxLive: 3 });
  const issued = [1, 2, 3, 4].map(() => tokens.issue('10.0.0.5'));
  assert.equal(tokens.size, 3);
  assert.equal(tokens.issuedTo(issued[0]!), undefined);
  assert.equal(tokens.redeem(issued[3]!, '10.0.0.5'), true);
  tokens.dispose();
});

test('a live token is redacted from the log; a dead one is forgotten, so the redaction list stays bounded', () => {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  logSink.console = true;
  process.stderr.write = (chunk: string) => {
    lines.push(String(chunk));
    return true;
  };
  try {
    const tokens = new OneshotTokens({ clock: new SimulatedClock() });
    const t = tokens.issue('10.0.0.5');
    logSink.write('info', 'test', `token is ${t}`);
    tokens.redeem(t, '10.0.0.5');
    logSink.write('info', 'test', `token was ${t}`);
    assert.match(lines[0]!, /token is <redacted>/);
    assert.match(lines[1]!, new RegExp(`token was ${t}`));
  } finally {
    process.stderr.write = write;
    logSink.console = false;
  }
});
