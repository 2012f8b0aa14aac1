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
    // Synchronous on purpose: the log must hold the last lines even if the process is killed.
    if (this.file) appendFileSync(this.file, message.endsWith('\n') ? message : `${message}\n`);
  }
}
