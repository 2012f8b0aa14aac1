// Every machine actor's inspection events, as one stream of small JSON messages: what the
// /debug/inspect websocket sends, what the inspector page draws and what the scenario runner
// records. Off by default; when off, `inspector()` hands out nothing, so actors are created
// without an inspect callback and no inspection work is done at all.
//
// Wiring a machine is one line where its actor is created:
//   createActor(machine, { inspect: inspection.inspector('oneshotToken') })
// Actors of the same machine (one per token, say) are told apart by `actorId`. Child machines
// an actor invokes or spawns are followed too, under their own machine id; other children
// (promises, callbacks) show only as the `source` of the events they send.
//
// Messages (protocol 1); `at` is the wall clock in ms since the epoch:
//   hello       {type, protocol, at, machines}          first message on a websocket; machines
//                                                       that have a diagram
//   actor       {type, at, machine, actorId, status, state, states, context}
//               an actor's whole state: once per live actor on connect, when an actor starts,
//               and when it stops (status "stopped" | "done" | "error")
//   event       {type, at, machine, actorId, event, source?}
//               an event delivered to the actor (payload redacted); source is the sending
//               actor's id when another actor sent it (e.g. "connectSocket", "printJob:1")
//   transition  {type, at, machine, actorId, from, to, fromStates, states, event, actions}
//               a transition that targets a state (also re-entering the same one); targetless
//               transitions (context updates) are not transitions
//   snapshot    {type, at, machine, actorId, status, state, states, context, event}
//               after every event the actor processed, with the context it left
// `state` is the active leaf path, dots between levels ("connected.ready"; parallel regions
// joined with ","); `states` are the ids of every active state node, the titles of the
// diagram's nodes ("klippyConnection.connected.ready") and clusters ("cluster_" + id).
// Contexts and event payloads pass through redact(): secrets and file contents never leave,
// nor any secret registered with the logger (logSink.redact), wherever it appears.
import { StateMachine, getStateNodes, type AnyActorRef, type AnyMachineSnapshot, type AnyStateMachine, type InspectionEvent } from 'xstate';
import { Subject, type Observable } from 'rxjs';
import { redact } from '../util/redact.js';
import { getLogger, logSink } from '../logger.js';

const log = getLogger('inspection');

/** Redaction for the stream: secret keys, file contents, and any secret the logger knows. */
const clean = (v: unknown) => redact(v, (text) => logSink.scrub(text));

export const INSPECTION_PROTOCOL = 1;

export type ActorStatus = 'active' | 'done' | 'error' | 'stopped';

interface ActorFields {
  at: number;
  /** The machine's name: its id, the name of its diagram (visualizations/<machine>.svg). */
  machine: string;
  /** Unique among every actor this server inspected: `<machine>:<n>`. */
  actorId: string;
}

export interface HelloMessage {
  type: 'hello';
  protocol: typeof INSPECTION_PROTOCOL;
  at: number;
  machines: string[];
}

export interface ActorMessage extends ActorFields {
  type: 'actor';
  status: ActorStatus;
  state: string;
  states: string[];
  context: unknown;
}

export interface EventMessage extends ActorFields {
  type: 'event';
  event: { type: string; [k: string]: unknown };
  source?: string;
}

export interface TransitionMessage extends ActorFields {
  type: 'transition';
  from: string | null;
  to: string;
  fromStates: string[];
  states: string[];
  event: string;
  actions: string[];
}

export interface SnapshotMessage extends ActorFields {
  type: 'snapshot';
  status: ActorStatus;
  state: string;
  states: string[];
  context: unknown;
  event: string;
}

export type InspectionMessage = HelloMessage | ActorMessage | EventMessage | TransitionMessage | SnapshotMessage;

export type Inspect = (ev: InspectionEvent) => void;

interface Tracked {
  ref: AnyActorRef;
  machine: string;
  actorId: string;
  logic: AnyStateMachine;
  announced: boolean;
  state: string | null;
  states: string[];
}

export interface InspectionOptions {
  enabled: boolean;
  /** Machines that have a diagram, for the hello message. */
  machines?: readonly string[];
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Active leaf paths of a state value, e.g. {connected: 'ready'} -> "connected.ready". */
export function stateString(value: unknown): string {
  const leaves = (v: unknown, prefix: string): string[] => {
    if (typeof v === 'string') return [prefix + v];
    if (v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) return prefix ? [prefix.slice(0, -1)] : [];
      return entries.flatMap(([k, sub]) => leaves(sub, `${prefix}${k}.`));
    }
    return [];
  };
  return leaves(value, '').join(',');
}

function stateIds(logic: AnyStateMachine, value: unknown): string[] {
  const ids = new Set<string>();
  for (const node of getStateNodes(logic.root, value as never)) if (node !== logic.root) ids.add(node.id);
  return [...ids];
}

function actionName(a: unknown): string | undefined {
  if (typeof a === 'string') return a;
  if (a && typeof a === 'object' && 'type' in a && typeof (a).type === 'string') return (a as { type: string }).type;
  if (typeof a === 'function') return a.name || undefined;
  return undefined;
}

function machineOf(ref: unknown): AnyStateMachine | undefined {
  const logic = (ref as { logic?: unknown }).logic;
  return logic instanceof StateMachine ? (logic as AnyStateMachine) : undefined;
}

export class Inspection {
  readonly enabled: boolean;
  private readonly subject = new Subject<InspectionMessage>();
  /** Every message, as it happens (not the hello or the current states: see current()). */
  readonly messages$: Observable<InspectionMessage> = this.subject.asObservable();
  private readonly tracked = new Map<AnyActorRef, Tracked>();
  private readonly counters = new Map<string, number>();
  private readonly machines: readonly string[];
  private readonly now: () => number;
  private failed = false;

  constructor(opts: InspectionOptions) {
    this.enabled = opts.enabled;
    this.machines = opts.machines ?? [];
    this.now = opts.now ?? Date.now;
  }

  /**
   * The inspect callback for an actor of `machine` (pass it to createActor), or undefined when
   * inspection is off.
   */
  inspector(machine: string): Inspect | undefined {
    if (!this.enabled) return undefined;
    return (ev) => {
      try {
        this.handle(machine, ev);
      } catch (err) {
        // Never let the debug stream break a machine; say so once.
        if (!this.failed) log.error(`inspection failed (${machine}, ${ev.type}): ${(err as Error).stack ?? String(err)}`);
        this.failed = true;
      }
    };
  }

  hello(): HelloMessage {
    return { type: 'hello', protocol: INSPECTION_PROTOCOL, at: this.now(), machines: [...this.machines] };
  }

  /** The state of every live actor now, one `actor` message each. */
  current(): ActorMessage[] {
    const out: ActorMessage[] = [];
    for (const t of this.tracked.values()) {
      const snap = t.ref.getSnapshot() as AnyMachineSnapshot | undefined;
      if (!t.announced || !snap) continue;
      if (snap.status !== 'active') {
        this.tracked.delete(t.ref);
        continue;
      }
      out.push(this.actorMessage(t, snap));
    }
    return out;
  }

  close(): void {
    this.tracked.clear();
    this.subject.complete();
  }

  private track(rootMachine: string, ev: InspectionEvent): Tracked | undefined {
    const ref = ev.actorRef as AnyActorRef;
    const known = this.tracked.get(ref);
    if (known) return known;
    const logic = machineOf(ref);
    if (!logic) return undefined;
    const machine = ref.sessionId === ev.rootId ? rootMachine : logic.id;
    const n = (this.counters.get(machine) ?? 0) + 1;
    this.counters.set(machine, n);
    const t: Tracked = { ref, machine, actorId: `${machine}:${n}`, logic, announced: false, state: null, states: [] };
    this.tracked.set(ref, t);
    return t;
  }

  private fields(t: Tracked): ActorFields {
    return { at: this.now(), machine: t.machine, actorId: t.actorId };
  }

  private actorMessage(t: Tracked, snap: AnyMachineSnapshot): ActorMessage {
    return {
      type: 'actor',
      ...this.fields(t),
      status: snap.status,
      state: stateString(snap.value),
      states: stateIds(t.logic, snap.value),
      context: clean(snap.context),
    };
  }

  private handle(rootMachine: string, ev: InspectionEvent): void {
    const t = this.track(rootMachine, ev);
    if (!t) return;
    switch (ev.type) {
      case '@xstate.event': {
        const src = ev.sourceRef as AnyActorRef | undefined;
        const source = src ? (this.tracked.get(src)?.actorId ?? src.id) : undefined;
        const event = clean(ev.event) as EventMessage['event'];
        this.subject.next({ type: 'event', ...this.fields(t), event, ...(source !== undefined ? { source } : {}) });
        return;
      }
      case '@xstate.microstep': {
        const snap = ev.snapshot as AnyMachineSnapshot;
        const state = stateString(snap.value);
        const states = stateIds(t.logic, snap.value);
        const targeted = ev._transitions.filter((tr) => (tr.target?.length ?? 0) > 0);
        if (targeted.length > 0) {
          this.subject.next({
            type: 'transition',
            ...this.fields(t),
            from: t.state,
            to: state,
            fromStates: t.states,
            states,
            event: ev.event.type,
            actions: ev._transitions.flatMap((tr) => tr.actions.map(actionName).filter((a): a is string => a !== undefined)),
          });
        }
        t.state = state;
        t.states = states;
        return;
      }
      case '@xstate.snapshot': {
        const snap = ev.snapshot as AnyMachineSnapshot;
        if (!t.announced) {
          t.announced = true;
          t.state = stateString(snap.value);
          t.states = stateIds(t.logic, snap.value);
          this.subject.next(this.actorMessage(t, snap));
          if (snap.status === 'active') return;
        }
        if (snap.status !== 'active') {
          this.tracked.delete(t.ref);
          this.subject.next(this.actorMessage(t, snap));
          return;
        }
        this.subject.next({
          type: 'snapshot',
          ...this.fields(t),
          status: snap.status,
          state: stateString(snap.value),
          states: stateIds(t.logic, snap.value),
          context: clean(snap.context),
          event: ev.event.type,
        });
        return;
      }
      default:
        return;
    }
  }
}
