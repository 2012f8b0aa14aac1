// Where the gcode proper starts and ends in a file, in bytes: the comment header (slicer banner,
// thumbnails, often hundreds of kilobytes) and the config block after the last move are not
// printed, so a client that computes progress from virtual_sdcard's file_position measures it
// between these two offsets (Mainsail, Fluidd, KlipperScreen all do).
//
// Semantics as today's Moonraker reports them:
// - gcode_start_byte: the offset of the line end just before the first line that starts with a
//   G or M code (a code directly followed by whitespace or the end of the line);
// - gcode_end_byte: the offset just past the line end of the last such line.
// Moonraker's own search for the end misses a bare code at the end of an LF line ("M84"); here
// it counts, since the printer runs it. Both ends are read in latin1 text, where one character
// is one byte, so the offsets are exact even where the file is not valid UTF-8.

/** True when `text` from `i` holds a line starting with [GM]<digits> then a blank or the line end. */
function isCommandLine(text: string, i: number, end: number): boolean {
  const c = text.charCodeAt(i);
  if (c !== 71 /* G */ && c !== 77 /* M */) return false;
  let k = i + 1;
  const digits = k;
  while (k < end && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57) k++;
  if (k === digits) return false;
  if (k === end) return true;
  const n = text.charCodeAt(k);
  return n === 32 || n === 9 || n === 13;
}

/**
 * gcode_start_byte from the first bytes of a file of `size` bytes, or undefined if they hold no
 * command line.
 */
export function gcodeStartByte(head: string, size: number): number | undefined {
  let i = 0;
  const n = head.length;
  while (i < n) {
    let j = head.indexOf('\n', i);
    if (j < 0) {
      // A last line without its "\n" may be cut by the read, unless it ends the file.
      if (n < size) return undefined;
      j = n;
    }
    if (isCommandLine(head, i, j)) return i === 0 ? 0 : i - 1;
    i = j + 1;
  }
  return undefined;
}

/**
 * gcode_end_byte from the last bytes of the file (`tail`, which ends the file of `size` bytes), or
 * undefined if they hold no complete command line.
 */
export function gcodeEndByte(tail: string, size: number): number | undefined {
  const offset = size - tail.length;
  // Walk the lines backwards; each ends at `j` (its "\n", or the end of the file).
  let j = tail.endsWith('\n') ? tail.length - 1 : tail.length;
  while (j >= 0) {
    const prev = j === 0 ? -1 : tail.lastIndexOf('\n', j - 1);
    // The first line of the tail may be cut by the read, unless the tail is the whole file.
    if (prev < 0 && offset > 0) return undefined;
    if (prev + 1 < j && isCommandLine(tail, prev + 1, j)) return Math.min(offset + j + 1, size);
    j = prev;
  }
  return undefined;
}
