// idle_timeout (extras/idle_timeout.py): "Printing" while the toolhead has work, "Ready" once it
// has been quiet for half a second, and "Idle" after the configured timeout, when it runs its
// idle gcode (heaters off, motors off). Clients use this to tell a busy printer from a free one.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import { fixed } from '../gcode/pyValues.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';
import { NEVER, PrinterGone, type SimTimer } from '../scheduler.js';

const READY_TIMEOUT = 0.5;
const IDLE_GCODE = 'TURN_OFF_HEATERS\nM84';

export type IdleState = 'Idle' | 'Printing' | 'Ready';

export class IdleTimeout implements StatusSource {
  state: IdleState = 'Idle';
  private lastPrintStart = 0;
  private idleTimeout: number;
  private readonly timer: SimTimer;

  constructor(private readonly printer: Printer) {
    this.idleTimeout = printer.config.getFloat('idle_timeout', 'timeout', 600);
    this.timer = printer.scheduler.timer((e) => this.timeoutHandler(e));
    printer.gcode.registerCommand(
      'SET_IDLE_TIMEOUT',
      (g) => {
        this.idleTimeout = g.getFloat('TIMEOUT', this.idleTimeout, { above: 0 });
        g.respondInfo(`idle_timeout: Timeout set to ${fixed(this.idleTimeout, 2)} s`);
        if (this.state === 'Ready') this.timer.update(printer.clock.now() + this.idleTimeout);
      },
      { desc: 'Set the idle timeout in seconds' },
    );
    printer.events.on('shutdown', () => this.timer.cancel());
  }

  /** Klippy's toolhead:sync_print_time: work was queued while the toolhead was quiet. */
  noteActivity(now: number): void {
    if (this.state === 'Printing') return;
    this.state = 'Printing';
    this.lastPrintStart = now;
    const buffer = Math.max(0, this.printer.toolhead.printTime - now);
    this.timer.update(now + READY_TIMEOUT + buffer);
  }

  private timeoutHandler(eventtime: number): number {
    const { printer } = this;
    if (printer.inShutdown) return NEVER;
    if (this.state === 'Ready') return this.checkIdleTimeout(eventtime);
    const buffer = Math.min(2, printer.toolhead.printTime - eventtime);
    if (buffer > -READY_TIMEOUT) return eventtime + READY_TIMEOUT + buffer;
    if (printer.gcode.mutex.test()) return eventtime + READY_TIMEOUT;
    this.state = 'Ready';
    return eventtime + this.idleTimeout;
  }

  private checkIdleTimeout(eventtime: number): number {
    const { printer } = this;
    const idleTime = eventtime - printer.toolhead.printTime;
    if (idleTime < 0) return eventtime + this.idleTimeout;
    if (idleTime < this.idleTimeout) return eventtime + this.idleTimeout - idleTime;
    if (printer.gcode.mutex.test()) return eventtime + 1;
    this.state = 'Printing';
    printer.gcode.runScript(IDLE_GCODE).then(
      () => {
        this.state = 'Idle';
      },
      (e: unknown) => {
        if (e instanceof PrinterGone) return;
        this.state = 'Ready';
        this.timer.update(printer.clock.now() + 1);
      },
    );
    return NEVER;
  }

  getStatus(eventtime: number): JsonObject {
    return {
      state: this.state,
      printing_time: this.state === 'Printing' ? eventtime - this.lastPrintStart : 0,
      idle_timeout: this.idleTimeout,
    };
  }
}
