// virtual_sdcard (extras/virtual_sdcard.py): the loaded file and how far printing has read it.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';

export class VirtualSdcard implements StatusSource {
  private filePath: string | null = null;
  private filePosition = 0;
  private fileSize = 0;
  private active = false;

  constructor(private readonly printer: Printer) {
    printer.gcode.registerCommand('SDCARD_RESET_FILE', () => this.resetFile(), {
      desc: 'Clears a loaded SD File. Stops the print if necessary',
    });
  }

  isActive(): boolean {
    return this.active;
  }

  progress(): number {
    return this.fileSize ? this.filePosition / this.fileSize : 0;
  }

  async doPause(): Promise<void> {
    this.active = false;
    return Promise.resolve();
  }

  doResume(): void {
    this.active = this.filePath !== null;
  }

  async doCancel(): Promise<void> {
    await this.doPause();
    this.filePath = null;
    this.filePosition = this.fileSize = 0;
    this.printer.printStats.noteCancel();
  }

  private resetFile(): void {
    this.filePath = null;
    this.filePosition = this.fileSize = 0;
    this.printer.printStats.reset();
  }

  getStatus(): JsonObject {
    return {
      file_path: this.filePath,
      progress: this.progress(),
      is_active: this.active,
      file_position: this.filePosition,
      file_size: this.fileSize,
    };
  }
}
