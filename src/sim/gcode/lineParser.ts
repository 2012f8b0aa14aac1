// How Klippy splits a gcode line into a command and parameters (gcode.py _process_commands).
// The quirks matter to clients: comments after ';' are dropped, a leading N<line> is skipped,
// parameter letters are upper-cased, and "M117 123" keeps the text in the command itself.

import { parsePyFloat } from './pyValues.js';

const ARGS_RE = /([A-Z_]+|[A-Z*])/;

export interface ParsedLine {
  /** Upper-case command, e.g. "G1", "SET_HEATER_TEMPERATURE", or "" for a blank/comment line. */
  command: string;
  /** The whole line, trimmed, comments included (what error messages quote). */
  commandline: string;
  /** Traditional parameters: letter(s) → text up to the next letter, upper-cased. */
  params: Record<string, string>;
}

export function parseGcodeLine(line: string): ParsedLine {
  const commandline = line.trim();
  const cpos = commandline.indexOf(';');
  const code = cpos >= 0 ? commandline.slice(0, cpos) : commandline;
  const parts = code.toUpperCase().split(ARGS_RE);
  const at = (i: number): string => parts[i] ?? '';
  const command = at(0) + at(1) === 'N' ? (at(3) + at(4)).trim() : (at(0) + at(1) + at(2)).trim();
  const params: Record<string, string> = {};
  for (let i = 1; i < parts.length; i += 2) params[at(i)] = at(i + 1).trim();
  return { command, commandline, params };
}

/** The text after the command name (M117 messages, extended KEY=VALUE text). */
export function rawCommandParameters(command: string, commandline: string): string {
  let start = command.length;
  let end = commandline.length;
  if (commandline.slice(0, start).toUpperCase() !== command) {
    // Skip a line number; ignore a trailing checksum.
    start += commandline.toUpperCase().indexOf(command);
    const star = commandline.lastIndexOf('*');
    if (star >= 0 && /^\d+$/.test(commandline.slice(star + 1))) end = star;
  }
  if (/^\s$/.test(commandline.slice(start, start + 1))) start += 1;
  return commandline.slice(start, end);
}

/** Klipper's test for names like G1 / M104 / T0, which keep traditional parameter parsing. */
export function isTraditionalGcode(cmd: string): boolean {
  const word = cmd.toUpperCase().trim().split(/\s+/)[0] ?? '';
  const first = word.charAt(0);
  const second = word.charAt(1);
  if (parsePyFloat(word.slice(1)) === undefined) return false;
  return first >= 'A' && first <= 'Z' && second >= '0' && second <= '9';
}
