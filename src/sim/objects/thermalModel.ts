// The physics of one heater: a first-order plant (heating element into a thermal mass that
// loses heat to 25 C ambient) driven by a proportional controller with feed-forward. It is not
// Klipper's PID, but it gives what clients observe from one: full power while far from the
// target, a smooth approach, a steady holding power, and exponential cooling when off.

export const AMBIENT_TEMP = 25;
// Integration step in simulated seconds; small enough that the controller looks continuous.
const STEP = 0.1;

export interface ThermalParams {
  /** Degrees above ambient reached at full power, steady state. */
  gain: number;
  /** Time constant of the plant, simulated seconds. */
  tau: number;
  /** Controller gain: extra power per degree of error. */
  kp: number;
}

export class ThermalModel {
  temperature: number;
  power = 0;
  private time: number;

  constructor(
    private readonly params: ThermalParams,
    temperature: number,
    time: number,
  ) {
    this.temperature = temperature;
    this.time = time;
  }

  /** Integrates up to `now` with the given target; target 0 (or disabled) means the heater is off. */
  advance(now: number, target: number, enabled: boolean): void {
    let remaining = now - this.time;
    if (remaining <= 0) return;
    const { gain, tau } = this.params;
    while (remaining > 1e-9) {
      const dt = Math.min(STEP, remaining);
      this.power = enabled && target > 0 ? this.controller(target) : 0;
      const steady = AMBIENT_TEMP + gain * this.power;
      this.temperature = steady + (this.temperature - steady) * Math.exp(-dt / tau);
      remaining -= dt;
    }
    this.time = now;
  }

  /** Current rate of change, degrees per simulated second. */
  slope(): number {
    return (AMBIENT_TEMP + this.params.gain * this.power - this.temperature) / this.params.tau;
  }

  private controller(target: number): number {
    const { gain, kp } = this.params;
    const feedForward = (target - AMBIENT_TEMP) / gain;
    return Math.min(1, Math.max(0, feedForward + kp * (target - this.temperature)));
  }
}
