// Simulated time. Physics (moves, heating, dwell, print durations) runs `timeScale` times faster
// than the wall clock so tests can print a real file in seconds, while the socket protocol
// (subscription ticks, restart pauses, reply delays) stays in real time like Klippy's reactor.

export class SimClock {
  private readonly realStartMs = monotonicMs();
  private readonly simStart: number;

  constructor(readonly timeScale = 1) {
    if (!Number.isFinite(timeScale) || timeScale <= 0) {
      throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
    }
    // Klippy's eventtime is the host's monotonic clock (Python's time.monotonic(), that is
    // CLOCK_MONOTONIC), never wall time. Reading the same clock means that at time scale 1 an
    // eventtime can be compared with process.hrtime in any process of the machine (the
    // websocket benchmark measures delivery latency that way).
    this.simStart = this.realStartMs / 1000;
  }

  /** Simulated monotonic seconds; this is the `eventtime` clients see. */
  now(): number {
    return this.simStart + ((monotonicMs() - this.realStartMs) / 1000) * this.timeScale;
  }

  /** Wall-clock milliseconds that `simSeconds` of simulated time take. */
  realMs(simSeconds: number): number {
    return Math.max(0, (simSeconds * 1000) / this.timeScale);
  }
}

/** CLOCK_MONOTONIC in milliseconds. */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
