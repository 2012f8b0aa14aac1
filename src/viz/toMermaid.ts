// A machine graph as a Mermaid stateDiagram-v2 (renders on GitHub and in most editors).
import { edgeLabel, type MachineGraph } from './machineGraph.js';

const safeId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');
const safeText = (s: string) => s.replace(/[:;"{}]/g, ' ').replace(/\s+/g, ' ').trim();

export function toMermaid(g: MachineGraph): string {
  const lines = ['stateDiagram-v2'];
  const emit = (stateId: string, indent: string) => {
    const s = g.states.get(stateId)!;
    for (const childId of s.children) {
      const c = g.states.get(childId)!;
      lines.push(`${indent}state "${c.key}" as ${safeId(c.id)}`);
      if (c.children.length > 0) {
        lines.push(`${indent}state ${safeId(c.id)} {`);
        emit(c.id, indent + '  ');
        lines.push(`${indent}}`);
      }
      if (c.final) lines.push(`${indent}${safeId(c.id)} --> [*]`);
      if (c.entry.length > 0) lines.push(`${indent}note right of ${safeId(c.id)} : entry / ${safeText(c.entry.join(', '))}`);
    }
    if (s.initialChild) lines.push(`${indent}[*] --> ${safeId(s.initialChild)}`);
    for (const e of g.edges) {
      const parentOfFrom = g.states.get(e.from)!.parent;
      if (parentOfFrom === stateId) lines.push(`${indent}${safeId(e.from)} --> ${safeId(e.to)} : ${safeText(edgeLabel(e))}`);
    }
  };
  emit(g.root, '  ');
  return lines.join('\n') + '\n';
}
