// The last line of defence: an error nobody caught (a rejected promise nobody awaited, an
// exception thrown from a timer or an event handler) is a bug to be logged, not a reason to
// stop the printer's API in the middle of a print. Node's default is to exit on both; the
// `moonstate` command installs these handlers so that it logs and keeps serving instead.
import type { Logger } from './logger.js';

let installed = false;

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

export function installProcessGuards(log: Logger): void {
  if (installed) return;
  installed = true;
  // Logging can itself fail (stderr gone): never let the handler throw into itself.
  let reporting = false;
  const report = (what: string, err: unknown) => {
    if (reporting) return;
    reporting = true;
    try {
      log.error(`${what} (a bug; the server keeps running): ${describe(err)}`);
    } catch {
      // nowhere left to report it
    } finally {
      reporting = false;
    }
  };
  process.on('unhandledRejection', (reason) => report('unhandled promise rejection', reason));
  process.on('uncaughtException', (err) => report('uncaught exception', err));
}
