// Klipper's gcode.CommandError: a failure the user caused (bad parameter, move out of range...).
// It becomes "!! <first line>" on the gcode output and an error reply on gcode/script; anything
// else thrown by a command is an internal error and shuts the printer down, as in Klippy.

export class CommandError extends Error {
  override name = 'CommandError';
}
