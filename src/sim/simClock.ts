// Simulated time. Physics (moves, heating, dwell, print durations) runs `timeScale` times faster
// than the wall clock so tests can print a real file in seconds, while the socket protocol
// (subscription ticks, restart pauses, reply delays) stays in real time like Klippy's reactor.

import { uptime } from 'node:os';

export class SimClock {
  private readonly realStartMs = performance.now();
  private readonly simStart: number;

  constructor(readonly timeScale = 1) {
    if (!Number.isFinite(timeScale) || timeScale <= 0) {
      throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
    }
    // Klippy's eventtime is the host's monotonic clock: seconds since boot, never wall time.
    this.simStart = uptime();
  }

  /** Simulated monotonic seconds; this is the `eventtime` clients see. */
  now(): number {
    return this.simStart + ((performance.now() - this.realStartMs) / 1000) * this.timeScale;
  }

  /** Wall-clock milliseconds that `simSeconds` of simulated time take. */
  realMs(simSeconds: number): number {
    return Math.max(0, (simSeconds * 1000) / this.timeScale);
  }
}
