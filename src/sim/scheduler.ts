// Waiting in simulated time, owned by one run of the printer. When the run ends (RESTART, stop)
// every sleeper is woken with PrinterGone so no command of a dead run keeps going, and no timer
// keeps the process alive.

import type { SimClock } from './simClock.js';

/** Thrown into the code of a printer run that has ended; never shown to clients. */
export class PrinterGone extends Error {
  constructor() {
    super('printer run has ended');
  }
}

export const NEVER = Number.POSITIVE_INFINITY;
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A re-armable timer in sim time, like Klippy's reactor timers: the callback returns its next waketime. */
export class SimTimer {
  private handle: NodeJS.Timeout | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly callback: (eventtime: number) => number,
  ) {}

  update(waketime: number): void {
    this.cancel();
    if (waketime === NEVER || this.scheduler.disposed) return;
    const clock = this.scheduler.clock;
    const delay = Math.min(MAX_TIMEOUT_MS, clock.realMs(waketime - clock.now()));
    this.handle = setTimeout(() => {
      this.handle = undefined;
      if (this.scheduler.disposed) return;
      const next = this.callback(clock.now());
      this.update(next);
    }, delay);
  }

  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

export class Scheduler {
  disposed = false;
  private readonly sleepers = new Set<{ handle: NodeJS.Timeout; reject: (e: Error) => void }>();
  private readonly timers = new Set<SimTimer>();

  constructor(readonly clock: SimClock) {}

  /** Resolves after `simSeconds` of simulated time. */
  sleep(simSeconds: number): Promise<void> {
    if (this.disposed) return Promise.reject(new PrinterGone());
    return new Promise<void>((resolve, reject) => {
      const entry = {
        handle: setTimeout(
          () => {
            this.sleepers.delete(entry);
            resolve();
          },
          Math.min(MAX_TIMEOUT_MS, this.clock.realMs(simSeconds)),
        ),
        reject,
      };
      this.sleepers.add(entry);
    });
  }

  sleepUntil(simTime: number): Promise<void> {
    return this.sleep(simTime - this.clock.now());
  }

  /** Real-time pause (protocol-level waits such as polling a busy mutex). */
  pauseRealMs(ms: number): Promise<void> {
    return this.sleep((ms / 1000) * this.clock.timeScale);
  }

  timer(callback: (eventtime: number) => number): SimTimer {
    const t = new SimTimer(this, callback);
    this.timers.add(t);
    return t;
  }

  /** Throws PrinterGone if this run has ended; long loops call it between steps. */
  check(): void {
    if (this.disposed) throw new PrinterGone();
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.sleepers) {
      clearTimeout(s.handle);
      s.reject(new PrinterGone());
    }
    this.sleepers.clear();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }
}
