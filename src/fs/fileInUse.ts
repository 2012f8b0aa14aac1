// The one rule for "Klippy is using this file": a file being printed (or paused), or a folder
// holding it, may not be deleted, moved or overwritten. The print job machine (which follows
// Klippy's print_stats) is the source (the file_manager component connects them).
import { forbidden } from '../shared/errors.js';

export const FILE_IN_USE = 'File currently in use';

/** What the rule needs to know: is Klippy ready, is a job active, and its file. */
export interface PrintStatsSource {
  klippyReady(): boolean;
  /** A job is printing or paused (the print job machine's `jobActive` tag). */
  jobActive(): boolean;
  /** print_stats' filename of that job. */
  filename(): string | undefined;
}

export class FileInUse {
  constructor(private readonly source: PrintStatsSource) {}

  /** The gcodes-relative path of the file Klippy is printing or has paused, if any. */
  activeFile(): string | undefined {
    // Klippy printing or paused (whatever the file): only then does a file count as held.
    if (!this.source.klippyReady() || !this.source.jobActive()) return undefined;
    const filename = this.source.filename();
    if (typeof filename !== 'string' || filename === '') return undefined;
    return filename.replace(/^\/+/, '').split('/').filter((s) => s !== '' && s !== '.').join('/');
  }

  /** Whether `rel` (relative to gcodes) is the active file or a folder that holds it. */
  inUse(rel: string): boolean {
    const active = this.activeFile();
    if (active === undefined) return false;
    return rel === '' || active === rel || active.startsWith(rel + '/');
  }

  /** Throws 403 "File currently in use" when `rel` in root `root` is in use. */
  check(root: string, rel: string): void {
    if (root === 'gcodes' && this.inUse(rel)) throw forbidden(FILE_IN_USE);
  }
}
