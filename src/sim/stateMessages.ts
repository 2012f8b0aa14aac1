// Klippy's state texts. Clients show them verbatim and Moonraker logs them, so the wording
// (including Klipper's double space after "connect.") is a fact to match, not ours to improve.

export const MESSAGE_READY = 'Printer is ready';

export const MESSAGE_STARTUP =
  'Printer is not ready\nThe klippy host software is attempting to connect.  Please\nretry in a few moments.\n';

const MESSAGE_RESTART =
  'Once the underlying issue is corrected, use the "RESTART"\n' +
  'command to reload the config and restart the host software.\nPrinter is halted\n';

const MESSAGE_SHUTDOWN =
  'Once the underlying issue is corrected, use the\n' +
  '"FIRMWARE_RESTART" command to reset the firmware, reload the\n' +
  'config, and restart the host software.\nPrinter is shutdown\n';

/** The state message after invoke_shutdown (M112, emergency_stop, internal errors). */
export function shutdownMessage(reason: string): string {
  return `${reason}\n${MESSAGE_SHUTDOWN}`;
}

/** The state message of a config-style error found while connecting; it holds until RESTART. */
export function configErrorMessage(error: string): string {
  return `${error}\n${MESSAGE_RESTART}`;
}
