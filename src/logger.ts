// One logger for the whole server: lines go to stderr and, once a file is attached, to the log
// file that /server/files/moonraker.log serves. Secrets registered with `redact` never reach
// either sink, whichever component logs them.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

class LogSink {
  level: LogLevel = 'info';
  console = true;
  private file: WriteStream | undefined;
  private filePath: string | undefined;
  private secrets = new Set<string>();

  attachFile(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    this.file?.end();
    this.file = createWriteStream(path, { flags: 'a' });
    // A full disk or a vanished folder must not take the server down with it.
    this.file.on('error', () => {
      this.file = undefined;
    });
    this.filePath = path;
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
