// Starting, pausing, resuming and cancelling prints: one place, used by the printer.print.*
// endpoints, uploads with print=true and the job queue. Whether a print may start is read
// from the print job machine (Klippy's reported state), never from our own bookkeeping.
import type { KlippyConnection } from '../../actors/klippyConnection.actor.js';
import type { PrintJobTracker } from './printJob.actor.js';
import { badRequest, conflict, unavailable } from '../../shared/errors.js';
import { getLogger } from '../../logger.js';

const log = getLogger('print');

/** Turns a client's filename into a path relative to the gcodes root; throws 404/400. */
export type GcodeResolver = (filename: string) => Promise<string>;

/**
 * Klippy reads `FILENAME=` as an extended gcode parameter: a quoted value may hold spaces but
 * no escapes, so pick the quote the name does not contain.
 */
function quoteFilename(path: string): string {
  if (/[\r\n]/.test(path)) throw badRequest('A file name cannot contain line breaks');
  if (!path.includes('"')) return `"${path}"`;
  if (!path.includes("'")) return `'${path}'`;
  throw badRequest('A file name with both kinds of quote cannot be printed');
}

export class PrintControl {
  constructor(
    private readonly klippy: KlippyConnection,
    private readonly printJob: PrintJobTracker,
    private readonly resolve: GcodeResolver,
  ) {}

  /** True when Klippy is ready and no job is printing or paused (both machines' tags). */
  get canStart(): boolean {
    return this.klippy.isReady && this.printJob.canStartPrint;
  }

  async start(filename: string): Promise<string> {
    const path = await this.resolve(filename);
    if (!this.klippy.isReady) throw unavailable(`Klippy is ${this.klippy.state}, cannot start a print`);
    if (!this.printJob.canStartPrint) throw conflict(`Printer is busy (${this.printJob.state}), cannot start a print`);
    await this.klippy.request('gcode/script', { script: `SDCARD_PRINT_FILE FILENAME=${quoteFilename(path)}` });
    return path;
  }

  /** For uploads with print=true: starts only when idle, and says whether it did. */
  async startIfIdle(filename: string): Promise<boolean> {
    if (!this.canStart) return false;
    try {
      await this.start(filename);
      return true;
    } catch (err) {
      log.info(`print of ${filename} not started: ${(err as Error).message}`);
      return false;
    }
  }

  pause(): Promise<unknown> {
    return this.klippy.request('pause_resume/pause');
  }

  resume(): Promise<unknown> {
    return this.klippy.request('pause_resume/resume');
  }

  cancel(): Promise<unknown> {
    return this.klippy.request('pause_resume/cancel');
  }
}
