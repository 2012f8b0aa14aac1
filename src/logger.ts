// One logger for the whole server: lines go to stderr and, once a file is attached, to the log
// file that /server/files/moonraker.log serves. Secrets registered with `redact` never reach
// either sink, whichever component logs them. The file rotates as Moonraker's does: at local
// midnight and on request (server.logs.rollover) it becomes NAME.YYYY-MM-DD, two of those are
// kept, and the new file starts with a header saying what runs. A log file that fails (a full
// disk, a vanished folder) never takes the server down, and is written again once it can be:
// the failure is when a user most needs the log.
import { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** How long after a failed write the log file is tried again (ms). */
export const LOG_RETRY_MS = 5000;

export class LogSink {
  level: LogLevel = 'info';
  console = true;
  private file: WriteStream | undefined;
  private filePath: string | undefined;
  private secrets = new Set<string>();
  /** When the file last failed (ms since the epoch), while it is not being written. */
  private failedAt: number | undefined;
  private failure = '';
  /** Lines that could not be written since the failure. */
  private lost = 0;
  private retryMs = LOG_RETRY_MS;
  private midnight: NodeJS.Timeout | undefined;
  /** Lines written at the top of each new log file (what runs, on which data). */
  header: string[] = [];
  /** Rotated files kept besides the live one (Moonraker keeps two). */
  readonly backups = 2;

  attachFile(path: string, opts: { retryMs?: number } = {}): void {
    mkdirSync(dirname(path), { recursive: true });
    this.file?.end();
    this.filePath = path;
    this.retryMs = opts.retryMs ?? LOG_RETRY_MS;
    this.failedAt = undefined;
    this.lost = 0;
    void this.open(path);
    this.scheduleMidnight();
  }

  /** Whether lines currently reach the log file (false after a failure, until it is written again). */
  get fileWritable(): boolean {
    return this.file !== undefined;
  }

  /**
   * Opens the file and writes its header; resolves once the header is written (a rollover's
   * caller finds it there). A failure marks the file dead until the retry delay has passed.
   */
  private open(path: string, first = ''): Promise<void> {
    const file = createWriteStream(path, { flags: 'a' });
    this.file = file;
    file.on('error', (err: NodeJS.ErrnoException) => {
      if (this.file !== file) return;
      // The stream is dead after an error; a new one is opened on a later line (see write).
      this.file = undefined;
      this.failedAt = Date.now();
      this.failure = err.code ?? err.message;
      if (this.console) process.stderr.write(`${new Date().toISOString()} [error] logger: log file not written (${this.failure}); retrying\n`);
    });
    const line = '-'.repeat(20);
    const header = `${line} Log Start | ${new Date().toUTCString()} ${line}\n${this.header.map((h) => `${h}\n`).join('')}${first}`;
    return new Promise<void>((res) => {
      file.write(header, () => res());
    });
  }

  /** Opens the file again once the retry delay has passed since it failed; notes what was lost. */
  private reopenIfDue(): void {
    if (this.file || this.failedAt === undefined || this.filePath === undefined) return;
    if (Date.now() - this.failedAt < this.retryMs) return;
    this.failedAt = undefined;
    const lost = this.lost;
    const note = `${new Date().toISOString()} [warn] logger: log file written again; about ${lost} lines were lost (${this.failure})\n`;
    try {
      mkdirSync(dirname(this.filePath), { recursive: true });
      // Counted as told only once the note is on disk: if the disk is still full, the count goes on.
      void this.open(this.filePath, note).then(() => {
        if (this.file && this.failedAt === undefined) this.lost = Math.max(0, this.lost - lost);
      });
    } catch (err) {
      this.failedAt = Date.now();
      this.failure = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
  }

  private scheduleMidnight(): void {
    clearTimeout(this.midnight);
    const now = new Date();
    const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    this.midnight = setTimeout(() => {
      // Named after the day that just ended, as Python's midnight rotation names it.
      this.rollover(new Date(next.getTime() - 1)).catch(() => undefined);
    }, next.getTime() - now.getTime() + 50);
    this.midnight.unref();
  }

  /**
   * Moves the log to NAME.YYYY-MM-DD (the day it was started; an earlier one of the same name
   * is replaced), removes the oldest beyond `backups`, and starts a new file.
   */
  async rollover(day = new Date()): Promise<void> {
    const path = this.filePath;
    if (path === undefined) throw new Error('File Logging Disabled');
    const old = this.file;
    this.file = undefined;
    if (old) await new Promise<void>((res) => old.end(res));
    const stamp = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    try {
      try {
        renameSync(path, `${path}.${stamp}`);
      } catch (err) {
        // A log someone deleted has nothing to keep: just start the new one.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const prefix = `${basename(path)}.`;
      const rotated = readdirSync(dirname(path))
        .filter((n) => n.startsWith(prefix) && /^\d{4}-\d{2}-\d{2}$/.test(n.slice(prefix.length)))
        .sort();
      for (const n of rotated.slice(0, Math.max(0, rotated.length - this.backups))) rmSync(join(dirname(path), n), { force: true });
    } finally {
      this.failedAt = undefined;
      await this.open(path);
      this.scheduleMidnight();
    }
  }

  get logFile(): string | undefined {
    return this.filePath;
  }

  redact(secret: string): void {
    if (secret.length >= 4) this.secrets.add(secret);
  }

  forget(secret: string): void {
    this.secrets.delete(secret);
  }

  /** The text with every registered secret replaced (the inspection stream uses it too). */
  scrub(text: string): string {
    for (const s of this.secrets) if (text.includes(s)) text = text.split(s).join('<redacted>');
    return text;
  }

  write(level: LogLevel, component: string, message: string): void {
    if (RANK[level] < RANK[this.level]) return;
    const text = this.scrub(message);
    const line = `${new Date().toISOString()} [${level}] ${component}: ${text}\n`;
    if (this.console) process.stderr.write(line);
    this.reopenIfDue();
    if (this.file) this.file.write(line);
    else if (this.filePath !== undefined && this.failedAt !== undefined) this.lost++;
  }

  async close(): Promise<void> {
    clearTimeout(this.midnight);
    this.filePath = undefined;
    const f = this.file;
    this.file = undefined;
    this.failedAt = undefined;
    if (f) await new Promise<void>((res) => f.end(res));
  }
}

export const logSink = new LogSink();
// A stderr that went away (a closed pipe) would otherwise raise an error for every line logged,
// each logged again as an uncaught exception: stop writing there instead.
process.stderr.on('error', () => {
  logSink.console = false;
});

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function getLogger(component: string): Logger {
  return {
    debug: (m) => logSink.write('debug', component, m),
    info: (m) => logSink.write('info', component, m),
    warn: (m) => logSink.write('warn', component, m),
    error: (m) => logSink.write('error', component, m),
  };
}
