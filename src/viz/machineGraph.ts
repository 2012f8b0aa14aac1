// Reads a machine definition into a plain graph of states and labelled transitions. Both
// diagram formats (Mermaid, Graphviz) and the live inspector page are drawn from this one reading.
import type { AnyStateMachine, StateNode } from 'xstate';

export interface GraphState {
  /** Full state id, e.g. `klippyConnection.connected.ready`. */
  id: string;
  key: string;
  parent: string | undefined;
  initialChild: string | undefined;
  children: string[];
  final: boolean;
  entry: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  event: string;
  guard: string | undefined;
  actions: string[];
}

export interface MachineGraph {
  id: string;
  root: string;
  states: Map<string, GraphState>;
  edges: GraphEdge[];
}

type AnyNode = StateNode<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function nameOf(item: unknown): string | undefined {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object' && 'type' in item) {
    const t = (item as { type: unknown; params?: unknown }).type;
    if (typeof t !== 'string') return undefined;
    const params = (item as { params?: unknown }).params;
    if (params && typeof params === 'object' && !('call' in params)) {
      const shown = Object.entries(params as Record<string, unknown>)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(', ');
      return shown ? `${t}(${shown})` : t;
    }
    return t;
  }
  return undefined;
}

function eventLabel(eventType: string, invokeSrc: Map<string, string>): string {
  let m = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (m) return `after ${m[1]}`;
  m = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (m) return `done: ${invokeSrc.get(m[1]!) ?? m[1]}`;
  m = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (m) return `error: ${invokeSrc.get(m[1]!) ?? m[1]}`;
  m = /^xstate\.done\.state\.(.+)$/.exec(eventType);
  if (m) return 'done';
  return eventType;
}

export function readMachine(machine: AnyStateMachine): MachineGraph {
  const states = new Map<string, GraphState>();
  const edges: GraphEdge[] = [];
  const invokeSrc = new Map<string, string>();

  const visitInvokes = (node: AnyNode) => {
    for (const inv of node.invoke) invokeSrc.set(inv.id, typeof inv.src === 'string' ? inv.src : inv.id);
    for (const child of Object.values(node.states) as AnyNode[]) visitInvokes(child);
  };
  visitInvokes(machine.root as AnyNode);

  const visit = (node: AnyNode, parent: string | undefined) => {
    const children = Object.values(node.states) as AnyNode[];
    const initialTarget = node.initial?.target?.[0] as AnyNode | undefined;
    states.set(node.id, {
      id: node.id,
      key: node.key,
      parent,
      initialChild: initialTarget?.id,
      children: children.map((c) => c.id),
      final: node.type === 'final',
      entry: node.entry.map(nameOf).filter((n): n is string => n !== undefined),
    });
    for (const [eventType, transitions] of node.transitions) {
      for (const t of transitions) {
        for (const target of (t.target ?? []) as AnyNode[]) {
          edges.push({
            from: node.id,
            to: target.id,
            event: eventLabel(eventType, invokeSrc),
            guard: t.guard ? nameOf(t.guard) : undefined,
            actions: t.actions.map(nameOf).filter((n): n is string => n !== undefined),
          });
        }
      }
    }
    for (const child of children) visit(child, node.id);
  };
  visit(machine.root as AnyNode, undefined);
  return { id: machine.id, root: machine.root.id, states, edges };
}

export function edgeLabel(e: GraphEdge): string {
  let s = e.event;
  if (e.guard) s += ` [${e.guard}]`;
  if (e.actions.length > 0) s += ` / ${e.actions.join(', ')}`;
  return s;
}

/** The short form for drawings: event and guard, with a guard's single parameter inlined. */
export function shortEdgeLabel(e: GraphEdge): string {
  if (!e.guard) return e.event;
  const m = /^(\w+)\((\w+)=([^,()]+)\)$/.exec(e.guard);
  return `${e.event} [${m ? `${m[1]}: ${m[3]}` : e.guard}]`;
}
