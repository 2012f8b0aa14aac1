// One logger for the whole server: lines go to stderr and, once a file is attached, to the log
// file that /server/files/moonraker.log serves. Secrets registered with `redact` never reach
// either sink, whichever component logs them. The file rotates as Moonraker's does: at local
// midnight and on request (server.logs.rollover) it becomes NAME.YYYY-MM-DD, two of those are
// kept, and the new file starts with a header saying what runs.
import { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

class LogSink {
  level: LogLevel = 'info';
  console = true;
  private file: WriteStream | undefined;
  private filePath: string | undefined;
  private secrets = new Set<string>();
  private midnight: NodeJS.Timeout | undefined;
  /** Lines written at the top of each new log file (what runs, on which data). */
  header: string[] = [];
  /** Rotated files kept besides the live one (Moonraker keeps two). */
  readonly backups = 2;

  attachFile(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    this.file?.end();
    this.filePath = path;
    void this.open();
    this.scheduleMidnight();
  }

  /** Opens the file; resolves once its header is written (a rollover's caller finds it there). */
  private open(): Promise<void> {
    const file = createWriteStream(this.filePath!, { flags: 'a' });
    // A full disk or a vanished folder must not take the server down with it.
    file.on('error', () => {
      if (this.file === file) this.file = undefined;
    });
    this.file = file;
    const line = '-'.repeat(20);
    const header = `${line} Log Start | ${new Date().toUTCString()} ${line}\n${this.header.map((h) => `${h}\n`).join('')}`;
    return new Promise<void>((res) => {
      file.write(header, () => res());
    });
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
      await this.open();
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
    this.file?.write(line);
  }

  async close(): Promise<void> {
    clearTimeout(this.midnight);
    this.filePath = undefined;
    const f = this.file;
    this.file = undefined;
    if (f) await new Promise<void>((res) => f.end(res));
  }
}

export const logSink = new LogSink();

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
