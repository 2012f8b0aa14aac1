// moonraker.conf follows Moonraker's reading of Python configparser's dialect: `[section]` or
// `[section name]` headers, `key: value` or `key = value`, whole-line comments with # or ;,
// inline comments after a space (` \#` keeps a literal #), values continued on lines indented
// deeper than their option (blank and comment lines in between neither end nor join the value),
// and `[include pattern]` directives that pull other files in at that point. We read it
// ourselves (it is small) so that every error can name its file and line.

export interface IniValue {
  /** The value, continuation lines joined with newlines. */
  value: string;
  /**
   * The value as configparser holds it (Moonraker's server.config `orig`): a value that starts
   * on the next line keeps its empty first line.
   */
  orig?: string;
  line: number;
  /** The file the value came from (the last one to set it, across includes). */
  source?: string;
}

export interface IniSection {
  /** The header as written, e.g. `webcam front`. */
  name: string;
  line: number;
  /** The file where the section first appears. */
  source?: string;
  options: Map<string, IniValue>;
}

export class IniSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    message: string,
  ) {
    super(`${source}:${line}: ${message}`);
  }
}

export interface ParseOptions {
  /**
   * Sections read so far from other files: this file's sections are merged into it (an option
   * set again here replaces the earlier value, as a later configparser read does).
   */
  into?: Map<string, IniSection>;
  /** Called, in file order, for each `[include pattern]`; without it an include is an error. */
  include?: (pattern: string, line: number) => void;
  /** Called for each section header of this file (server.config lists sections by file). */
  onSection?: (name: string) => void;
}

const COMMENT_START = /^[#;]/;
// Moonraker cuts a comment at the first # or ; preceded by spaces (tabs are spaces by then).
const INLINE_COMMENT = / +[#;]/;
const ESCAPED_COMMENT = / \\([#;])/g;
const HEADER = /^\[(.+)\]/;

export function parseIni(text: string, source = 'config', opts: ParseOptions = {}): Map<string, IniSection> {
  const sections = opts.into ?? new Map<string, IniSection>();
  // Within one file a section or an option may appear only once; across files they merge.
  const seenSections = new Set<string>();
  const seenOptions = new Set<string>();
  let current: IniSection | undefined;
  let lastValue: IniValue | undefined;
  let optIndent = -1;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    if (raw.trim() === '' || COMMENT_START.test(raw.trimStart())) return;
    let line = raw.replace(/\t/g, '    ');
    const cut = INLINE_COMMENT.exec(line);
    if (cut) line = line.slice(0, cut.index);
    line = line.replace(ESCAPED_COMMENT, ' $1');
    if (line.trim() === '') return;
    const indent = line.length - line.trimStart().length;
    if (optIndent !== -1 && indent > optIndent && lastValue) {
      const more = line.trim();
      lastValue.orig = `${lastValue.orig ?? lastValue.value}\n${more}`;
      lastValue.value = lastValue.value === '' ? more : `${lastValue.value}\n${more}`;
      return;
    }
    const trimmed = line.trim();
    const header = HEADER.exec(trimmed);
    if (header) {
      optIndent = -1;
      lastValue = undefined;
      const name = header[1]!.trim().replace(/\s+/g, ' ');
      if (name === 'include' || name.startsWith('include ')) {
        const pattern = name.slice('include'.length).trim();
        if (pattern === '') throw new IniSyntaxError(source, lineNo, `invalid include directive [${name}]: no path`);
        if (!opts.include) throw new IniSyntaxError(source, lineNo, `[${name}]: includes are only read from a config file`);
        // Options after an include belong to no section until the next header, as in Moonraker.
        current = undefined;
        opts.include(pattern, lineNo);
        return;
      }
      if (seenSections.has(name)) throw new IniSyntaxError(source, lineNo, `section [${name}] appears twice`);
      seenSections.add(name);
      opts.onSection?.(name);
      current = sections.get(name);
      if (!current) {
        current = { name, line: lineNo, source, options: new Map() };
        sections.set(name, current);
      }
      return;
    }
    if (!current) throw new IniSyntaxError(source, lineNo, 'option outside of any [section]');
    const sep = /[:=]/.exec(trimmed);
    if (!sep) throw new IniSyntaxError(source, lineNo, `expected "key: value", got "${trimmed}"`);
    const key = trimmed.slice(0, sep.index).trim().toLowerCase();
    if (key === '') throw new IniSyntaxError(source, lineNo, 'empty option name');
    const seenKey = `${current.name}\u0000${key}`;
    if (seenOptions.has(seenKey)) {
      throw new IniSyntaxError(source, lineNo, `option "${key}" appears twice in [${current.name}]`);
    }
    seenOptions.add(seenKey);
    lastValue = { value: trimmed.slice(sep.index + 1).trim(), line: lineNo, source };
    current.options.set(key, lastValue);
    optIndent = indent;
  });
  return sections;
}
