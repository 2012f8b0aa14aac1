// pause_resume (extras/pause_resume.py): PAUSE/RESUME/CLEAR_PAUSE/CANCEL_PRINT and their
// webhooks endpoints. Like Klippy, pausing when nothing is printing is not an error: it just
// announces "action:paused" for a host that streams gcode itself.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { GCodeCommand } from '../gcode/gcodeCommand.js';
import { fixed } from '../gcode/pyValues.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';

export class PauseResume implements StatusSource {
  private isPaused = false;
  private sdPaused = false;
  private pauseCommandSent = false;
  private readonly recoverVelocity: number;

  constructor(private readonly printer: Printer) {
    this.recoverVelocity = printer.config.getFloat('pause_resume', 'recover_velocity', 50);
    const gcode = printer.gcode;
    gcode.registerCommand('PAUSE', (g) => this.cmdPause(g), { desc: 'Pauses the current print' });
    gcode.registerCommand('RESUME', (g) => this.cmdResume(g), { desc: 'Resumes the print from a pause' });
    gcode.registerCommand('CLEAR_PAUSE', () => this.clearPause(), {
      desc: 'Clears the current paused state without resuming the print',
    });
    gcode.registerCommand('CANCEL_PRINT', (g) => this.cmdCancelPrint(g), { desc: 'Cancel the current print' });
    const wh = printer.webhooks;
    wh.registerEndpoint('pause_resume/cancel', () => gcode.runScript('CANCEL_PRINT'));
    wh.registerEndpoint('pause_resume/pause', () => gcode.runScript('PAUSE'));
    wh.registerEndpoint('pause_resume/resume', () => gcode.runScript('RESUME'));
  }

  get paused(): boolean {
    return this.isPaused;
  }

  private get sdActive(): boolean {
    return this.printer.virtualSdcard.isActive();
  }

  private async sendPauseCommand(): Promise<void> {
    if (this.pauseCommandSent) return;
    if (this.sdActive) {
      this.sdPaused = true;
      await this.printer.virtualSdcard.doPause();
    } else {
      this.sdPaused = false;
      this.printer.gcode.respondInfo('action:paused');
    }
    this.pauseCommandSent = true;
  }

  private async cmdPause(gcmd: GCodeCommand): Promise<void> {
    if (this.isPaused) {
      gcmd.respondInfo('Print already paused');
      return;
    }
    await this.sendPauseCommand();
    await this.printer.gcode.runScriptFromCommand('SAVE_GCODE_STATE NAME=PAUSE_STATE');
    this.isPaused = true;
  }

  private async cmdResume(gcmd: GCodeCommand): Promise<void> {
    if (!this.isPaused) {
      gcmd.respondInfo('Print is not paused, resume aborted');
      return;
    }
    const velocity = gcmd.getFloat('VELOCITY', this.recoverVelocity);
    await this.printer.gcode.runScriptFromCommand(
      `RESTORE_GCODE_STATE NAME=PAUSE_STATE MOVE=1 MOVE_SPEED=${fixed(velocity, 4)}`,
    );
    if (this.sdPaused) {
      this.printer.virtualSdcard.doResume();
      this.sdPaused = false;
    } else {
      this.printer.gcode.respondInfo('action:resumed');
    }
    this.pauseCommandSent = false;
    this.isPaused = false;
  }

  private clearPause(): void {
    this.isPaused = false;
    this.pauseCommandSent = false;
  }

  private async cmdCancelPrint(gcmd: GCodeCommand): Promise<void> {
    if (this.sdActive || this.sdPaused) await this.printer.virtualSdcard.doCancel();
    else gcmd.respondInfo('action:cancel');
    this.clearPause();
  }

  getStatus(): JsonObject {
    return { is_paused: this.isPaused };
  }
}
