// Klipper parses the parameters of extended commands (SET_X KEY=VALUE) with Python's
// shlex(posix=True, whitespace_split=True, commenters='#;'). Quoting rules decide what a
// macro or RESPOND MSG="..." receives, so we follow that tokenizer's states exactly.

export class ShlexError extends Error {}

const WHITESPACE = ' \t\r\n';
const COMMENTERS = '#;';
const QUOTES = '\'"';

export function shlexSplit(input: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let quoted = false;
  // ' ' between words, 'a' inside a word, a quote char inside quotes, '\\' after an escape
  let state: string = ' ';
  let escapedState = 'a';
  for (let i = 0; i <= input.length; i++) {
    const ch = i < input.length ? input.charAt(i) : '';
    if (state === ' ') {
      if (!ch) break;
      if (WHITESPACE.includes(ch)) continue;
      if (COMMENTERS.includes(ch)) {
        const nl = input.indexOf('\n', i);
        if (nl < 0) break;
        i = nl;
        continue;
      }
      if (ch === '\\') {
        escapedState = 'a';
        state = '\\';
      } else if (QUOTES.includes(ch)) {
        state = ch;
      } else {
        token = ch;
        state = 'a';
      }
      continue;
    }
    if (state === '"' || state === "'") {
      quoted = true;
      if (!ch) throw new ShlexError('No closing quotation');
      if (ch === state) {
        state = 'a';
      } else if (ch === '\\' && state === '"') {
        escapedState = state;
        state = '\\';
      } else {
        token += ch;
      }
      continue;
    }
    if (state === '\\') {
      if (!ch) throw new ShlexError('No escaped character');
      // Inside double quotes a backslash only escapes a quote or another backslash.
      if (QUOTES.includes(escapedState) && ch !== state && ch !== escapedState) token += state;
      token += ch;
      state = escapedState;
      continue;
    }
    // state 'a': inside an unquoted word
    if (!ch) break;
    if (WHITESPACE.includes(ch) || COMMENTERS.includes(ch)) {
      if (COMMENTERS.includes(ch)) {
        const nl = input.indexOf('\n', i);
        i = nl < 0 ? input.length - 1 : nl;
      }
      state = ' ';
      if (token || quoted) tokens.push(token);
      token = '';
      quoted = false;
      continue;
    }
    if (QUOTES.includes(ch)) {
      state = ch;
    } else if (ch === '\\') {
      escapedState = 'a';
      state = '\\';
    } else {
      token += ch;
    }
  }
  if (state === 'a' && (token || quoted)) tokens.push(token);
  return tokens;
}
