// A machine graph as Graphviz DOT, rendered to SVG offline by @viz-js/viz. Compound states are
// clusters; edges to or from a compound state attach to its border.
import { edgeLabel, shortEdgeLabel, type MachineGraph } from './machineGraph.js';

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function toDot(g: MachineGraph, highlight?: ReadonlySet<string>): string {
  const out = [
    `digraph ${q(g.id)} {`,
    '  compound=true; rankdir=TB; fontname="Helvetica"; nodesep=0.5; ranksep=0.7;',
    '  node [shape=box, style="rounded,filled", fillcolor="#f5f7fa", color="#4a5568", fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9, color="#4a5568"];',
  ];
  // A compound state is drawn as a cluster; edges use its initial (or first) child as anchor.
  const anchor = (id: string): string => {
    const s = g.states.get(id)!;
    if (s.children.length === 0) return id;
    return anchor(s.initialChild ?? s.children[0]!);
  };
  const emit = (id: string, indent: string) => {
    const s = g.states.get(id)!;
    for (const childId of s.children) {
      const c = g.states.get(childId)!;
      const on = highlight?.has(c.id) ?? false;
      if (c.children.length > 0) {
        out.push(`${indent}subgraph ${q('cluster_' + c.id)} {`);
        out.push(`${indent}  label=${q(c.key)}; style="rounded${on ? ',filled' : ''}"; color="#4a5568"; fillcolor="#e6f4ea";`);
        out.push(`${indent}  ${q('init_' + c.id)} [shape=point, width=0.12, label=""];`);
        emit(c.id, indent + '  ');
        out.push(`${indent}}`);
      } else {
        const attrs = [`label=${q(c.entry.length ? `${c.key}\nentry / ${c.entry.join(', ')}` : c.key)}`];
        if (c.final) attrs.push('peripheries=2');
        if (on) attrs.push('fillcolor="#34a853"', 'fontcolor="white"', 'penwidth=2');
        out.push(`${indent}${q(c.id)} [${attrs.join(', ')}];`);
      }
    }
  };
  out.push(`  ${q('init_' + g.root)} [shape=point, width=0.15, label=""];`);
  emit(g.root, '  ');
  for (const s of g.states.values()) {
    if (s.initialChild === undefined) continue;
    out.push(`  ${q('init_' + s.id)} -> ${q(anchor(s.initialChild))}${g.states.get(s.initialChild)!.children.length ? ` [lhead=${q('cluster_' + s.initialChild)}]` : ''};`);
  }
  // Parallel transitions (same source and target) are drawn as one edge with a line per
  // transition; actions would make every edge a paragraph, so they go in the tooltip (and in
  // the Mermaid file).
  const merged = new Map<string, typeof g.edges>();
  for (const e of g.edges) {
    const k = `${e.from}\u0000${e.to}`;
    merged.set(k, [...(merged.get(k) ?? []), e]);
  }
  for (const group of merged.values()) {
    const e = group[0]!;
    const label = [...new Set(group.map(shortEdgeLabel))].join('\n');
    const attrs = [`label=${q(label)}`, `tooltip=${q(group.map(edgeLabel).join('\n'))}`];
    if (g.states.get(e.from)!.children.length) attrs.push(`ltail=${q('cluster_' + e.from)}`);
    if (g.states.get(e.to)!.children.length && e.from !== e.to) attrs.push(`lhead=${q('cluster_' + e.to)}`);
    out.push(`  ${q(anchor(e.from))} -> ${q(anchor(e.to))} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
