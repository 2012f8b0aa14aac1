// Values of the PrusaSlicer family's config block that hold one entry per extruder or filament:
// `#FF8000;#000000`, `220,220`, `"Hyper PLA";"Generic PETG"`. Entries are separated by commas
// or semicolons; a double-quoted entry may hold either (and \" for a quote). Blank entries
// (`extruder_colour = ""`) are dropped, as Moonraker drops them.

export function configList(value: string | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    const c = value[i]!;
    if (c === ',' || c === ';') {
      i++;
      continue;
    }
    // A quoted entry, possibly after blanks.
    let k = i;
    while (k < n && (value[k] === ' ' || value[k] === '\t')) k++;
    if (value[k] === '"') {
      let j = k + 1;
      let text = '';
      while (j < n && value[j] !== '"') {
        if (value[j] === '\\' && value[j + 1] === '"') {
          text += '"';
          j += 2;
        } else text += value[j++];
      }
      if (j < n) {
        const entry = text.trim();
        if (entry) out.push(entry);
        i = j + 1;
        continue;
      }
      // An unclosed quote: read it as a plain entry.
    }
    let j = i;
    while (j < n && value[j] !== ',' && value[j] !== ';') j++;
    const entry = value.slice(i, j).trim();
    if (entry) out.push(entry);
    i = j;
  }
  return out;
}

/** Integers of a list (`220,220`), or undefined if one of them is not an integer. */
export function intList(value: string | undefined): number[] | undefined {
  const out: number[] = [];
  for (const s of configList(value)) {
    if (!/^[-+]?\d+$/.test(s)) return undefined;
    out.push(Number.parseInt(s, 10));
  }
  return out;
}

/**
 * One name (filament_name, filament_type): the entry itself when there is one, and when there
 * are several, their JSON array as a string, spelled as Moonraker's Python writes it
 * (`["PLA", "PETG"]`, ", " between entries), which clients parse back.
 */
export function nameOrList(value: string | undefined): string | undefined {
  const list = configList(value);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return `[${list.map((s) => JSON.stringify(s)).join(', ')}]`;
}
