// Builds the events a machine can receive in a given snapshot, for xstate's graph traversal:
// the delayed (`after`) events and the done/error events of the actors it is running, plus the
// external events the test names. Outputs of invoked actors are given per actor `src`.
import { getStateNodes, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';

export interface EventSpace {
  /** Possible outputs of each invoked actor, by its `src`. An actor listed here can finish. */
  outputs?: Record<string, unknown[]>;
  /** Actor `src`s that can fail. */
  failing?: string[];
  /** Events from the outside world, offered in every state. */
  external?: EventObject[];
}

export function eventsIn(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, space: EventSpace): EventObject[] {
  const events: EventObject[] = [...(space.external ?? [])];
  for (const node of getStateNodes(machine.root, snapshot.value)) {
    for (const t of node.after) events.push({ type: t.eventType });
    for (const inv of node.invoke) {
      const src = typeof inv.src === 'string' ? inv.src : inv.id;
      for (const output of space.outputs?.[src] ?? []) {
        events.push({ type: `xstate.done.actor.${inv.id}`, output } as EventObject);
      }
      if (space.failing?.includes(src)) {
        events.push({ type: `xstate.error.actor.${inv.id}`, error: new Error(`${src} failed`) } as EventObject);
      }
    }
  }
  return events;
}

/** Dotted names of a snapshot's active leaf states, e.g. `connected.ready`. */
export function leafNames(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafNames(v, `${prefix}${k}.`));
}
