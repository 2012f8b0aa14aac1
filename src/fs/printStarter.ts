// Starting a print right after an upload (`print=true`). One small function until print
// starting moves into the shared print module: Klippy must be ready and idle, and only
// Klippy's acceptance of SDCARD_PRINT_FILE counts as started.
import type { KlippyConnection } from '../actors/klippyConnection.actor.js';
import { getLogger } from '../logger.js';
import type { FileInUse } from './fileInUse.js';

const log = getLogger('files');

/** Asks Klippy to print `rel` (relative to gcodes); true only if Klippy accepted. */
export async function startPrintAfterUpload(klippy: KlippyConnection, inUse: FileInUse, rel: string): Promise<boolean> {
  if (klippy.state !== 'ready' || inUse.busy()) return false;
  if (/["\n\r]/.test(rel)) return false;
  try {
    // An unknown command is not an error to Klippy, so make sure it knows this one.
    const help = await klippy.request('gcode/help');
    if (!('SDCARD_PRINT_FILE' in help)) return false;
    await klippy.request('gcode/script', { script: `SDCARD_PRINT_FILE FILENAME="${rel}"` });
    return true;
  } catch (err) {
    log.info(`print of uploaded ${rel} not started: ${(err as Error).message}`);
    return false;
  }
}
