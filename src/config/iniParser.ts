// moonraker.conf is Python configparser's dialect: `[section]` or `[section name]` headers,
// `key: value` or `key = value`, whole-line comments with # or ;, inline comments after
// whitespace, and values continued on indented lines. We read it ourselves (it is small) so that
// every error can name its line.

export interface IniValue {
  value: string;
  line: number;
}

export interface IniSection {
  /** The header as written, e.g. `webcam front`. */
  name: string;
  line: number;
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

const COMMENT_START = /^[#;]/;
const INLINE_COMMENT = /\s[#;].*$/;

export function parseIni(text: string, source = 'config'): Map<string, IniSection> {
  const sections = new Map<string, IniSection>();
  let current: IniSection | undefined;
  let lastKey: string | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    if (raw.trim() === '' || COMMENT_START.test(raw.trim())) {
      // A blank line ends a continued value, as in configparser.
      if (raw.trim() === '') lastKey = undefined;
      return;
    }
    const continued = /^\s/.test(raw);
    if (continued && current && lastKey !== undefined) {
      const entry = current.options.get(lastKey)!;
      const more = raw.replace(INLINE_COMMENT, '').trim();
      entry.value = entry.value === '' ? more : `${entry.value}\n${more}`;
      return;
    }
    const line = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(line.replace(INLINE_COMMENT, '').trim());
    if (header) {
      const name = header[1]!.trim().replace(/\s+/g, ' ');
      if (sections.has(name)) throw new IniSyntaxError(source, lineNo, `section [${name}] appears twice`);
      current = { name, line: lineNo, options: new Map() };
      sections.set(name, current);
      lastKey = undefined;
      return;
    }
    if (!current) throw new IniSyntaxError(source, lineNo, 'option outside of any [section]');
    const sep = /[:=]/.exec(line);
    if (!sep) throw new IniSyntaxError(source, lineNo, `expected "key: value", got "${line}"`);
    const key = line.slice(0, sep.index).trim().toLowerCase();
    if (key === '') throw new IniSyntaxError(source, lineNo, 'empty option name');
    if (current.options.has(key)) {
      throw new IniSyntaxError(source, lineNo, `option "${key}" appears twice in [${current.name}]`);
    }
    const value = line.slice(sep.index + 1).replace(INLINE_COMMENT, '').trim();
    current.options.set(key, { value, line: lineNo });
    lastKey = key;
  });
  return sections;
}
