// Replays a recorded Klippy session (test/fixtures/transcripts) against the virtual Klippy,
// configured with the recorded printer's own printer.cfg (from its configfile replies), and
// lists every way the virtual Klippy answered differently: reply fields and JSON types, error
// texts, gcode responses (numbers masked), the fields and types of status updates and the
// envelope of every async message, the order replies come in, the states each connection went
// through, the recorded printer's objects and endpoints, and connections Klippy closes.
// REPLAY_DEBUG=1 prints the steps that took long (waits for something that never came).
//
// Requests go out in recorded order, and the replay waits for a reply where the recording shows
// it: pipelined requests stay pipelined. Values are not compared (the sim's clock, temperatures
// and positions are its own), except the texts clients show and the printer states.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../src/shared/klippyProtocol.js';
import { VirtualKlippy, type VirtualKlippyOptions } from '../../src/sim/virtualKlippy.js';
import type { RawConfig } from '../../src/sim/printerConfig.js';
import { RawClient, type Reply } from '../sim/rawClient.js';
import { pairReplies, parseTranscriptEvents, shapeDifferences, type TranscriptEvent } from './transcript.js';

type Frame = Extract<TranscriptEvent, { kind: 'frame' }>;

/** A difference the recorded Klippy era explains (a 2020 Klipper's help texts, say), with why. */
export interface KnownDifference {
  pattern: RegExp;
  why: string;
}

export interface ReplayOptions {
  /** A fresh folder for the socket, gcodes and log. */
  dir: string;
  known?: KnownDifference[];
}

const REPLY_TIMEOUT_MS = 10_000;
const ASYNC_WAIT_MS = 2_000;
/** Four status ticks. */
const STATUS_WAIT_MS = 1_000;

/** Numbers differ between any two printers; the words around them must not. */
export const maskNumbers = (s: string): string => s.replace(/-?\d+(\.\d+)?/g, '#');

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** The recorded printer.cfg: the first configfile.config a reply carries. */
export function recordedConfig(events: TranscriptEvent[]): RawConfig {
  for (const e of events) {
    if (e.kind !== 'frame' || e.direction !== '<') continue;
    const status = (e.message.result as JsonObject | undefined)?.status as Record<string, JsonObject> | undefined;
    const config = status?.configfile?.config;
    if (config) return config as RawConfig;
  }
  throw new Error('the transcript has no configfile.config reply');
}

/**
 * The recordings come from Klippy in batch mode, where the extruder may extrude cold (heaters
 * read 0 there); min_extrude_temp 0 gives the virtual Klippy the same freedom.
 */
function batchMode(config: RawConfig): RawConfig {
  return { ...config, extruder: { ...config.extruder, min_extrude_temp: '0' } };
}

/**
 * The files the recorded session printed, rebuilt with their recorded sizes: a long zigzag for a
 * big file (still printing when the session pauses it), a dwell for a small one.
 */
function writeRecordedFiles(events: TranscriptEvent[], gcodes: string): void {
  mkdirSync(gcodes, { recursive: true });
  for (const e of events) {
    if (e.kind !== 'frame' || e.message.method !== 'process_gcode_response') continue;
    const m = /^File opened:(\S+) Size:(\d+)$/.exec(String((e.message.params as JsonObject).response));
    if (!m) continue;
    const size = Number(m[2]);
    const lines = ['G90', 'M83'];
    if (size > 1000) {
      lines.push('G28', 'G1 Z0.3 F6000');
      for (let i = 0, length = 0; length < size - 200; i++) {
        const line = `G1 X${i % 2 ? 10 : 240} Y${10 + (i % 190)} E2.5 F6000`;
        lines.push(line);
        length += line.length + 1;
      }
    } else lines.push('G4 P1');
    let text = lines.join('\n') + '\n';
    while (text.length < size) text += ';' + ' '.repeat(Math.max(0, Math.min(70, size - text.length - 2))) + '\n';
    writeFileSync(join(gcodes, m[1]!), text.slice(0, size));
  }
}

/** object.field → JSON types seen in process_status_update messages. */
function collectStatusTypes(messages: JsonObject[], into: Map<string, Set<string>>): void {
  for (const m of messages) {
    if (m.method !== 'process_status_update') continue;
    const status = ((m.params as JsonObject | undefined)?.status ?? {}) as Record<string, JsonObject>;
    for (const [obj, fields] of Object.entries(status)) {
      for (const [f, v] of Object.entries(fields)) {
        const key = `${obj}.${f}`;
        into.set(key, (into.get(key) ?? new Set()).add(typeOf(v)));
      }
    }
  }
}

function stateOf(message: JsonObject): string | undefined {
  const r = (message.result ?? message.params) as JsonObject | undefined;
  if (!r) return undefined;
  if (typeof r.state === 'string' && typeof r.state_message === 'string') return r.state;
  const wh = (r.status as Record<string, JsonObject> | undefined)?.webhooks;
  return typeof wh?.state === 'string' ? wh.state : undefined;
}

/** An async message with its status left out (its fields are compared one by one). */
function envelope(m: JsonObject): JsonObject {
  const params = m.params as JsonObject | undefined;
  return params && 'status' in params ? { ...m, params: { ...params, status: {} } } : m;
}

const gcodeResponse = (m: JsonObject): string | undefined =>
  m.method === 'process_gcode_response' ? String((m.params as JsonObject).response) : undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One connection of the replay: ours, and what the recording saw on its counterpart. */
class Connection {
  readonly ourStates: string[] = [];
  readonly recordedStates: string[] = [];
  /** Index into client.messages up to which gcode responses have been matched. */
  cursor = 0;
  /** Index into client.messages up to which status updates have been read. */
  statusCursor = 0;
  readonly sent = new Map<number, Promise<Reply>>();
  /** Request event indices in the order their replies came: ours, and the recording's. */
  readonly replyOrder: number[] = [];
  readonly recordedReplyOrder: number[] = [];
  constructor(
    readonly client: RawClient,
    readonly label: string,
  ) {}
}

export async function replayTranscript(text: string, opts: ReplayOptions): Promise<string[]> {
  const events = parseTranscriptEvents(text);
  const pairs = pairReplies(events);
  const problems: string[] = [];
  const socketPath = join(opts.dir, 'klippy.sock');
  const gcodes = join(opts.dir, 'gcodes');
  writeRecordedFiles(events, gcodes);
  const simOptions: VirtualKlippyOptions = {
    socketPath,
    gcodesPath: gcodes,
    logFile: join(opts.dir, 'klippy.log'),
    configFile: join(opts.dir, 'printer.cfg'),
    printerConfig: batchMode(recordedConfig(events)),
    timeScale: 100,
    startupDelayMs: 20,
    restartDelayMs: 50,
    // Klippy's 0.25 s tick would make the replay as long as the recorded session.
    statusTickMs: 25,
  };
  let sim = new VirtualKlippy(simOptions);
  await sim.start();
  const recordedTypes = new Map<string, Set<string>>();
  const ourTypes = new Map<string, Set<string>>();
  /** The first recorded async message of each method, its status emptied: the envelope to match. */
  const envelopes = new Map<string, JsonObject>();
  /** Status fields waited for once already (waiting again would only slow the replay down). */
  const awaited = new Set<string>();
  const connections: Connection[] = [];
  let conn: Connection | undefined;
  let phase = '';
  const where = (i: number): string => `${conn?.label ?? 'no connection'} (${phase}) #${i}`;

  const connectWithRetry = async (): Promise<RawClient> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        return await RawClient.connect(socketPath);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await sleep(20);
      }
    }
  };

  /** Waits (bounded) for our next gcode response to read like the recorded one. */
  const matchGcodeResponse = async (c: Connection, recorded: string, i: number): Promise<void> => {
    const want = maskNumbers(recorded);
    const missing = `${where(i)}: gcode response ${JSON.stringify(recorded)} never came`;
    // A response the recorded era sent and today's Klippy does not: no need to wait long for it.
    const wait = (opts.known ?? []).some((k) => k.pattern.test(missing)) ? 200 : ASYNC_WAIT_MS;
    const found = await c.client
      .waitFor(
        () => {
          for (let k = c.cursor; k < c.client.messages.length; k++) {
            const r = gcodeResponse(c.client.messages[k]!);
            if (r !== undefined && maskNumbers(r) === want) return k + 1;
          }
          return c.client.closed ? -1 : undefined;
        },
        wait,
        'gcode response',
      )
      .catch(() => -1);
    if (found < 0) {
      problems.push(missing);
      return;
    }
    for (let k = c.cursor; k < found - 1; k++) {
      const extra = gcodeResponse(c.client.messages[k]!);
      if (extra !== undefined) problems.push(`${where(i)}: extra gcode response ${JSON.stringify(extra)} before ${JSON.stringify(recorded)}`);
    }
    c.cursor = found;
  };

  const compareReply = async (recorded: JsonObject, request: Frame, ours: Reply, i: number): Promise<void> => {
    const method = String(request.message.method);
    let reply = ours;
    // A recorded Klippy that answered "ready" at once: poll, as Moonraker does, until ours is too.
    const recordedState = stateOf(recorded);
    if (method === 'info' && recordedState && reply.result?.state === 'startup' && recordedState !== 'startup') {
      const deadline = Date.now() + 5000;
      while (reply.result?.state === 'startup' && Date.now() < deadline) {
        await sleep(10);
        reply = await conn!.client.call('info', {});
      }
    }
    const ourState = stateOf(reply as unknown as JsonObject);
    if (recordedState) conn!.recordedStates.push(recordedState);
    if (ourState) conn!.ourStates.push(ourState);
    if ('error' in recorded) {
      const want = (recorded.error as JsonObject).message;
      if (!reply.error) problems.push(`${where(i)} ${method}: recorded error ${JSON.stringify(want)}, got a result`);
      else if (reply.error.message !== want) problems.push(`${where(i)} ${method}: error ${JSON.stringify(reply.error.message)}, recorded ${JSON.stringify(want)}`);
      return;
    }
    if (!reply.result) {
      problems.push(`${where(i)} ${method}: error ${JSON.stringify(reply.error?.message)}, recorded a result`);
      return;
    }
    problems.push(...shapeDifferences(recorded.result, reply.result, method).map((d) => `${where(i)} ${d}`));
    // Lists of names: the recorded printer's objects and endpoints must all be there.
    const list = method === 'objects/list' ? 'objects' : method === 'list_endpoints' ? 'endpoints' : undefined;
    if (list) {
      const ours = new Set(reply.result[list] as string[]);
      for (const o of (recorded.result as JsonObject)[list] as string[]) {
        if (!ours.has(o)) problems.push(`${where(i)} ${method}: no ${JSON.stringify(o)}`);
      }
    }
  };

  const debug = process.env.REPLAY_DEBUG !== undefined;
  let last = Date.now();
  for (let i = 0; i < events.length; i++) {
    if (debug && Date.now() - last > 300) console.error(`slow: #${i - 1} took ${Date.now() - last} ms: ${JSON.stringify(events[i - 1]).slice(0, 150)}`);
    last = Date.now();
    const e = events[i]!;
    if (e.kind === 'note') {
      const t = e.text;
      if (t.startsWith('phase ')) phase = t.slice(6);
      if (/^connection \d+ opened/.test(t)) {
        conn = new Connection(await connectWithRetry(), t.replace(/ opened.*/, ''));
        connections.push(conn);
      } else if (/^connection \d+ closed by Klippy/.test(t) && conn) {
        const c = conn;
        await c.client.waitFor(() => c.client.closed, 5000, 'close').catch(() => problems.push(`${where(i)}: Klippy did not close the connection`));
        conn = undefined;
      } else if (/^connection \d+ closed by the client/.test(t) && conn) {
        conn.client.close();
        conn = undefined;
      } else if (t.startsWith('phase Klippy killed')) {
        await sim.stop();
      } else if (t.startsWith('phase Klippy started again')) {
        sim = new VirtualKlippy(simOptions);
        await sim.start();
      }
      continue;
    }
    if (!conn) {
      problems.push(`#${i}: traffic outside any connection`);
      continue;
    }
    const c = conn;
    if (e.direction === '>') {
      const params = (e.message.params ?? {}) as JsonObject;
      const reply = c.client.call(String(e.message.method), params);
      void reply.then(() => c.replyOrder.push(i));
      c.sent.set(i, reply);
      continue;
    }
    const reqIndex = pairs.get(i);
    if (reqIndex !== undefined) {
      const request = events[reqIndex] as Frame;
      c.recordedReplyOrder.push(reqIndex);
      const ours = await Promise.race([c.sent.get(reqIndex)!, sleep(REPLY_TIMEOUT_MS).then(() => undefined)]);
      if (!ours) problems.push(`${where(i)} ${String(request.message.method)}: no reply`);
      else await compareReply(e.message, request, ours, i);
      continue;
    }
    const method = String(e.message.method);
    if (!envelopes.has(method)) envelopes.set(method, envelope(e.message));
    const novel = new Map<string, Set<string>>();
    collectStatusTypes([e.message], novel);
    for (const [k, v] of novel) recordedTypes.set(k, new Set([...(recordedTypes.get(k) ?? []), ...v]));
    // A field the recorded Klippy reported here for the first time (webhooks.state after an
    // emergency stop, say): give ours a moment to report it too before the next request.
    const unseen = [...novel.keys()].filter((k) => !ourTypes.has(k) && !awaited.has(k));
    for (const k of unseen) awaited.add(k);
    if (unseen.length) {
      await c.client
        .waitFor(
          () => {
            collectStatusTypes(c.client.messages.slice(c.statusCursor), ourTypes);
            c.statusCursor = c.client.messages.length;
            return unseen.every((k) => ourTypes.has(k)) || c.client.closed;
          },
          STATUS_WAIT_MS,
          'status update',
        )
        .catch(() => undefined);
    }
    const state = stateOf(e.message);
    if (state) c.recordedStates.push(state);
    const response = gcodeResponse(e.message);
    if (response !== undefined) await matchGcodeResponse(c, response, i);
  }
  conn?.client.close();
  await sim.stop();

  for (const c of connections) {
    for (const m of c.client.messages.slice(c.cursor)) {
      const extra = gcodeResponse(m);
      if (extra !== undefined) problems.push(`${c.label}: extra gcode response ${JSON.stringify(extra)} at the end`);
    }
    for (const m of c.client.messages) {
      const want = envelopes.get(String(m.method));
      if (!want) problems.push(`${c.label}: async message ${String(m.method)} that the recorded Klippy never sent`);
      else problems.push(...shapeDifferences(want, envelope(m), `${c.label} ${String(m.method)}`));
    }
    collectStatusTypes(c.client.messages.slice(c.statusCursor), ourTypes);
    for (const m of c.client.messages) {
      const s = m.method === 'process_status_update' ? stateOf(m) : undefined;
      if (s) c.ourStates.push(s);
    }
    const answeredBoth = new Set(c.recordedReplyOrder);
    const ourOrder = c.replyOrder.filter((k) => answeredBoth.has(k));
    if (JSON.stringify(ourOrder) !== JSON.stringify(c.recordedReplyOrder)) {
      const name = (k: number): string => `${String((events[k] as Frame).message.method)}#${k}`;
      problems.push(`${c.label}: replies came as ${ourOrder.map(name).join(', ')}; recorded ${c.recordedReplyOrder.map(name).join(', ')}`);
    }
    const dedupe = (xs: string[]): string[] => xs.filter((x, k) => k === 0 || xs[k - 1] !== x);
    const rec = dedupe(c.recordedStates);
    let ours = dedupe(c.ourStates);
    // A batch-mode Klippy is ready the moment it listens; ours spends a moment in startup first.
    if (rec[0] !== 'startup') ours = ours.filter((s, k) => !(k === 0 && s === 'startup'));
    if (JSON.stringify(rec) !== JSON.stringify(ours)) problems.push(`${c.label}: states ${ours.join(' → ')}, recorded ${rec.join(' → ')}`);
  }
  for (const [key, types] of recordedTypes) {
    const mine = ourTypes.get(key);
    if (!mine) problems.push(`process_status_update ${key}: never sent`);
    else {
      const want = [...types].filter((t) => t !== 'null');
      const missing = want.filter((t) => !mine.has(t));
      if (missing.length) problems.push(`process_status_update ${key}: sent as ${[...mine].join('/')}, recorded ${[...types].join('/')}`);
    }
  }
  const known = opts.known ?? [];
  return problems.filter((p) => !known.some((k) => k.pattern.test(p)));
}
