// virtual_sdcard (extras/virtual_sdcard.py): prints a file from the gcodes folder. The file is
// read in 8 KiB chunks and run line by line under the gcode mutex, so moves take their time,
// heaters wait, and console commands (PAUSE, M117...) slip in between lines as on a real
// printer. An error in a line ends the print in "error"; unknown commands only respond.

import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { JsonObject } from '../../shared/klippyProtocol.js';
import { CommandError } from '../gcode/commandError.js';
import { REQUIRED, type GCodeCommand } from '../gcode/gcodeCommand.js';
import { rawCommandParameters } from '../gcode/lineParser.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';
import { PrinterGone } from '../scheduler.js';

const VALID_GCODE_EXTS = ['gcode', 'g', 'gco'];
const READ_SIZE = 8192;
const ON_ERROR_GCODE = 'TURN_OFF_HEATERS';
// How long the reader backs off while another script holds the gcode mutex (Klippy: 100 ms).
const MUTEX_BACKOFF_MS = 100;

interface OpenFile {
  path: string;
  handle: FileHandle;
}

export class VirtualSdcard implements StatusSource {
  private readonly dirname: string;
  private current: OpenFile | null = null;
  private filePosition = 0;
  private fileSize = 0;
  private work: Promise<void> | null = null;
  private mustPauseWork = false;
  private cmdFromSd = false;

  constructor(private readonly printer: Printer) {
    this.dirname = resolve(printer.config.get('virtual_sdcard', 'path'));
    const gcode = printer.gcode;
    gcode.registerCommand('M20', (g) => this.cmdM20(g));
    gcode.registerCommand('M21', (g) => g.respondRaw('SD card ok'));
    gcode.registerCommand('M23', (g) => this.cmdM23(g));
    gcode.registerCommand('M24', () => this.doResume());
    gcode.registerCommand('M25', () => this.doPause());
    gcode.registerCommand('M26', (g) => {
      if (this.work) throw g.error('SD busy');
      this.filePosition = g.getInt('S', REQUIRED, { minval: 0 }) as number;
    });
    gcode.registerCommand('M27', (g) =>
      g.respondRaw(this.current ? `SD printing byte ${this.filePosition}/${this.fileSize}` : 'Not SD printing.'),
    );
    for (const cmd of ['M28', 'M29', 'M30']) {
      gcode.registerCommand(cmd, (g) => {
        throw g.error('SD write not supported');
      });
    }
    gcode.registerCommand('SDCARD_RESET_FILE', (g) => this.cmdResetFile(g), {
      desc: 'Clears a loaded SD File. Stops the print if necessary',
    });
    gcode.registerCommand('SDCARD_PRINT_FILE', (g) => this.cmdPrintFile(g), {
      desc: 'Loads a SD file and starts the print.  May include files in subdirectories.',
    });
    printer.events.on('shutdown', () => {
      if (this.work) this.mustPauseWork = true;
    });
    // A file left open after an error or a pause would outlive this printer run; a running
    // print closes its own file when it sees the printer gone.
    printer.events.on('dispose', () => {
      if (!this.work) void this.closeFile();
    });
  }

  isActive(): boolean {
    return this.work !== null;
  }

  progress(): number {
    return this.fileSize ? this.filePosition / this.fileSize : 0;
  }

  /** Stops reading after the current line; waits for that unless called from the file itself. */
  async doPause(): Promise<void> {
    if (!this.work) return;
    this.mustPauseWork = true;
    if (!this.cmdFromSd) await this.work;
  }

  doResume(): void {
    if (this.work) throw new CommandError('SD busy');
    this.mustPauseWork = false;
    this.work = this.workHandler();
  }

  async doCancel(): Promise<void> {
    if (this.current) {
      await this.doPause();
      // Klippy closes the file and notes the cancel in one step: no status tick may see the
      // "paused" the stopped work loop noted in between (the close here is real, async I/O).
      const closing = this.closeFile();
      this.printer.printStats.noteCancel();
      await closing;
    }
    this.filePosition = this.fileSize = 0;
  }

  private async closeFile(): Promise<void> {
    const f = this.current;
    this.current = null;
    await f?.handle.close().catch(() => undefined);
  }

  private async resetFile(): Promise<void> {
    if (this.current) {
      await this.doPause();
      // As in doCancel: the reset follows the pause with no status tick in between.
      const closing = this.closeFile();
      this.filePosition = this.fileSize = 0;
      this.printer.printStats.reset();
      await closing;
      return;
    }
    this.filePosition = this.fileSize = 0;
    this.printer.printStats.reset();
  }

  private async cmdResetFile(gcmd: GCodeCommand): Promise<void> {
    if (this.cmdFromSd) throw gcmd.error('SDCARD_RESET_FILE cannot be run from the sdcard');
    await this.resetFile();
  }

  private async cmdPrintFile(gcmd: GCodeCommand): Promise<void> {
    if (this.work) throw gcmd.error('SD busy');
    await this.resetFile();
    let filename = gcmd.get('FILENAME');
    if (filename.startsWith('/')) filename = filename.slice(1);
    await this.loadFile(gcmd, filename, true);
    this.doResume();
  }

  private async cmdM23(gcmd: GCodeCommand): Promise<void> {
    if (this.work) throw gcmd.error('SD busy');
    await this.resetFile();
    let filename = rawCommandParameters(gcmd.command, gcmd.commandline).trim();
    if (filename.startsWith('/')) filename = filename.slice(1);
    await this.loadFile(gcmd, filename, false);
  }

  private async cmdM20(gcmd: GCodeCommand): Promise<void> {
    let entries: string[];
    try {
      entries = (await readdir(this.dirname, { withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    } catch {
      throw gcmd.error('Unable to get file list');
    }
    gcmd.respondRaw('Begin file list');
    for (const name of entries) {
      const st = await stat(join(this.dirname, name)).catch(() => undefined);
      gcmd.respondRaw(`${name} ${st?.size ?? 0}`);
    }
    gcmd.respondRaw('End file list');
  }

  /** Finds the file inside the gcodes folder (case-insensitive fallback, as Klippy); never outside it. */
  private async resolveFile(filename: string, withSubdirs: boolean): Promise<string | undefined> {
    const full = resolve(this.dirname, filename);
    const rel = relative(this.dirname, full);
    if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
    if (!withSubdirs && rel.includes(sep)) return undefined;
    const ext = rel.slice(rel.lastIndexOf('.') + 1);
    if (withSubdirs && !VALID_GCODE_EXTS.includes(ext)) return undefined;
    const st = await stat(full).catch(() => undefined);
    if (st?.isFile()) return full;
    const dir = dirname(full);
    const wanted = basename(full).toLowerCase();
    const names = await readdir(dir).catch(() => [] as string[]);
    const match = names.find((n) => n.toLowerCase() === wanted);
    return match ? join(dir, match) : undefined;
  }

  private async loadFile(gcmd: GCodeCommand, filename: string, withSubdirs: boolean): Promise<void> {
    const path = await this.resolveFile(filename, withSubdirs);
    let handle: FileHandle | undefined;
    let size = 0;
    try {
      if (!path) throw new Error('not found');
      handle = await open(path, 'r');
      size = (await handle.stat()).size;
    } catch {
      await handle?.close().catch(() => undefined);
      this.printer.log.info(`virtual_sdcard file open: ${filename}`);
      throw gcmd.error('Unable to open file');
    }
    gcmd.respondRaw(`File opened:${filename} Size:${size}`);
    gcmd.respondRaw('File selected');
    this.current = { path: path ?? filename, handle };
    this.filePosition = 0;
    this.fileSize = size;
    this.printer.printStats.setCurrentFile(filename);
  }

  private async workHandler(): Promise<void> {
    const { printer } = this;
    const { printStats, log } = printer;
    let outcome: { error: string | null } | undefined;
    try {
      // Let the command that started us finish first (Klippy starts its work timer "NOW").
      await printer.scheduler.pauseRealMs(0);
      log.info(`Starting SD card print (position ${this.filePosition})`);
      printStats.noteStart();
      outcome = await this.readAndRun();
    } catch (e) {
      if (!(e instanceof PrinterGone)) {
        log.info(`virtual_sdcard dispatch: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        outcome = { error: 'Internal error in virtual_sdcard' };
      }
    }
    this.work = null;
    this.cmdFromSd = false;
    if (!outcome) {
      // This printer run has ended (RESTART): nothing to report.
      await this.closeFile();
      return;
    }
    log.info(`Exiting SD card print (position ${this.filePosition})`);
    if (outcome.error !== null) printStats.noteError(outcome.error);
    else if (this.current) printStats.notePause();
    else printStats.noteComplete();
  }

  /** Runs lines from filePosition until paused, finished (file closed) or failed. */
  private async readAndRun(): Promise<{ error: string | null }> {
    const { gcode, scheduler, log } = this.printer;
    let readPos = this.filePosition;
    let partial = Buffer.alloc(0);
    const lines: Buffer[] = [];
    const chunk = Buffer.allocUnsafe(READ_SIZE);
    while (!this.mustPauseWork) {
      const file = this.current;
      if (!file) break;
      if (lines.length === 0) {
        const { bytesRead } = await file.handle.read(chunk, 0, READ_SIZE, readPos);
        if (bytesRead === 0) {
          // Like Klippy, a last line without a newline is never run.
          await this.closeFile();
          log.info('Finished SD card print');
          gcode.respondRaw('Done printing file');
          break;
        }
        readPos += bytesRead;
        const data = partial.length ? Buffer.concat([partial, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        let start = 0;
        for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
          lines.push(Buffer.from(data.subarray(start, nl)));
          start = nl + 1;
        }
        partial = Buffer.from(data.subarray(start));
        lines.reverse();
        continue;
      }
      // Another script holds the mutex: let it run, then look again (it may be PAUSE).
      const release = gcode.mutex.tryLock();
      if (!release) {
        await scheduler.pauseRealMs(MUTEX_BACKOFF_MS);
        continue;
      }
      const line = lines.pop() ?? Buffer.alloc(0);
      const nextPosition = this.filePosition + line.length + 1;
      this.cmdFromSd = true;
      let failure: unknown;
      try {
        // One line (no newline in it) under the mutex; awaited only if the command waits.
        const pending = gcode.runLine(line.toString('utf8'));
        if (pending) await pending;
      } catch (e) {
        failure = e ?? new Error('unknown failure');
      } finally {
        release();
        this.cmdFromSd = false;
      }
      if (failure !== undefined) {
        if (failure instanceof PrinterGone) throw failure;
        if (!(failure instanceof CommandError)) {
          // An internal error already shut the printer down; the print just stops.
          log.info(`virtual_sdcard dispatch: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}`);
          return { error: null };
        }
        await gcode.runScript(ON_ERROR_GCODE).catch(() => undefined);
        return { error: failure.message };
      }
      this.filePosition = nextPosition;
    }
    return { error: null };
  }

  getStatus(): JsonObject {
    return {
      file_path: this.current?.path ?? null,
      progress: this.progress(),
      is_active: this.isActive(),
      file_position: this.filePosition,
      file_size: this.fileSize,
    };
  }
}
