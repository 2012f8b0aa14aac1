// Reads a config file and every file its `[include ...]` directives name, in Moonraker's order:
// an include is read where it stands, a relative pattern is relative to the including file's
// folder, globs (* ? [...] and **) match in sorted order, a pattern that matches nothing and a
// file that includes itself (directly or not) are errors.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseIni, type IniSection } from './iniParser.js';

export class ConfigFileError extends Error {}

export interface ConfigFiles {
  sections: Map<string, IniSection>;
  /** Every file read, the main one first, with the sections each holds (server.config's `files`). */
  files: Array<{ path: string; sections: string[] }>;
}

const GLOB_CHARS = /[*?[]/;

/** A glob segment as a regular expression (Python's fnmatch: * ? [seq] [!seq]). */
function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** Every path below `base` matching the pattern's segments. */
function expandGlob(base: string, segments: string[]): string[] {
  if (segments.length === 0) return [base];
  const [seg, ...rest] = segments as [string, ...string[]];
  if (seg === '**') {
    // Zero or more folders.
    const out = expandGlob(base, rest);
    for (const name of listDir(base)) {
      const p = join(base, name);
      if (isDir(p)) out.push(...expandGlob(p, segments));
    }
    return out;
  }
  if (!GLOB_CHARS.test(seg)) return expandGlob(join(base, seg), rest);
  const re = segmentRegex(seg);
  return listDir(base)
    .filter((name) => re.test(name))
    .flatMap((name) => expandGlob(join(base, name), rest));
}

export function matchInclude(pattern: string, fromDir: string): string[] {
  const expanded = pattern.startsWith('~') ? homedir() + pattern.slice(1) : pattern;
  const abs = isAbsolute(expanded) ? resolve(expanded) : resolve(fromDir, expanded);
  const root = abs.startsWith('/') ? '/' : fromDir;
  const segments = abs.split('/').filter((s) => s !== '');
  const hits = [...new Set(expandGlob(root, segments))].filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile());
  // Python sorts Paths part by part ('a/x' before 'a-b/x'), not as strings.
  return hits.sort((a, b) => {
    const pa = a.split('/');
    const pb = b.split('/');
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
    return pa.length - pb.length;
  });
}

export function readConfigFiles(mainFile: string): ConfigFiles {
  const sections = new Map<string, IniSection>();
  const files: ConfigFiles['files'] = [];
  const reading: string[] = [];
  const read = (file: string, from?: { file: string; line: number }) => {
    let real: string;
    let text: string;
    try {
      real = realpathSync(file);
      text = readFileSync(real, 'utf8');
    } catch (err) {
      const where = from ? `${from.file}:${from.line}: ` : '';
      throw new ConfigFileError(`${where}cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (reading.includes(real)) {
      throw new ConfigFileError(`${from!.file}:${from!.line}: recursive include of ${file}`);
    }
    reading.push(real);
    const entry = { path: file, sections: [] as string[] };
    files.push(entry);
    parseIni(text, file, {
      into: sections,
      onSection: (name) => entry.sections.push(name),
      include: (pattern, line) => {
        const hits = matchInclude(pattern, dirname(file));
        if (hits.length === 0) throw new ConfigFileError(`${file}:${line}: no files match [include ${pattern}]`);
        for (const hit of hits) read(hit, { file, line });
      },
    });
    reading.pop();
  };
  read(mainFile);
  return { sections, files };
}
