// The Klippy-style log (info.log_file). Moonraker serves it as klippy.log and users read it when
// something went wrong, so it records what Klippy would: start, client info, state changes, errors.

import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export class KlippyLog {
  constructor(private readonly file?: string) {
    if (file) mkdirSync(dirname(file), { recursive: true });
  }

  get path(): string {
    return this.file ?? '';
  }

  info(message: string): void {
    if (!this.file) return;
    try {
      // Synchronous on purpose: the log must hold the last lines even if the process is killed.
      appendFileSync(this.file, message.endsWith('\n') ? message : `${message}\n`);
    } catch {
      // A log that cannot be written (folder removed, disk full) must not stop the printer.
    }
  }
}
