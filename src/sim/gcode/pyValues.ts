// Klipper parses gcode parameters with Python's float()/int() and prints numbers with %s/%.Nf.
// Error texts quote those forms ("must have minimum of 0.0"), so we reproduce the Python rules.

const FLOAT_RE = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const SPECIAL_RE = /^[+-]?(?:inf|infinity|nan)$/i;
const INT_RE = /^[+-]?\d+(?:_\d+)*$/;

/** Python float(str): surrounding whitespace allowed, underscores between digits, inf/nan. */
export function parsePyFloat(text: string): number | undefined {
  const s = text.trim();
  if (FLOAT_RE.test(s)) return Number(s.replaceAll('_', ''));
  if (SPECIAL_RE.test(s)) {
    const neg = s.startsWith('-');
    if (/nan/i.test(s)) return Number.NaN;
    return neg ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return undefined;
}

/** Python int(str): digits only (no decimal point), whitespace and underscores allowed. */
export function parsePyInt(text: string): number | undefined {
  const s = text.trim();
  return INT_RE.test(s) ? Number(s.replaceAll('_', '')) : undefined;
}

/** Python's str() of a number; `isFloat` marks values Python holds as float (prints "0.0"). */
export function pyNumber(value: number, isFloat: boolean): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (isFloat && Number.isInteger(value)) return value.toFixed(1);
  return String(value);
}

/** Python's "%.Nf". */
export function fixed(value: number, digits: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const s = value.toFixed(digits);
  // Python prints -0.000 for tiny negatives too; JS agrees except for an exact -0.
  return Object.is(value, -0) ? `-${s}` : s;
}
