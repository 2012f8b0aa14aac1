// Klippy's gcode mutex: one script at a time, first come first served. A command that waits
// (M109, M400, a full move queue) keeps it, so other scripts queue behind it exactly as they
// do on a real printer; the SD-card print takes it per line, letting console commands interleave.

export class GcodeMutex {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  /** True while someone holds the mutex (Klippy's mutex.test()). */
  test(): boolean {
    return this.held;
  }

  async lock(): Promise<() => void> {
    if (this.held) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.held = true;
    return this.releaser();
  }

  /** Takes the mutex only if it is free right now (the SD-card reader's per-line fast path). */
  tryLock(): (() => void) | undefined {
    if (this.held) return undefined;
    this.held = true;
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.held = false;
    };
  }
}
