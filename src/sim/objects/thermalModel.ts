// The physics of one heater: a first-order plant (heating element into a thermal mass that
// loses heat to 25 C ambient) driven by a proportional controller with feed-forward. It is not
// Klipper's PID, but it gives what clients observe from one: full power while far from the
// target, a smooth approach, a steady holding power, and exponential cooling when off.
// The model is solved in closed form piece by piece (saturated on, saturated off, regulating),
// so advancing it costs the same for a second as for a day of simulated time.

export const AMBIENT_TEMP = 25;

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
    let dt = now - this.time;
    if (dt <= 0) return;
    this.time = now;
    const { gain, tau, kp } = this.params;
    const on = enabled && target > 0;
    // Relax towards `steady` with time constant `t` for `d` seconds.
    const relax = (steady: number, t: number, d: number): number =>
      steady + (this.temperature - steady) * Math.exp(-d / t);
    if (!on) {
      this.temperature = relax(AMBIENT_TEMP, tau, dt);
      this.power = 0;
      return;
    }
    const ff = (target - AMBIENT_TEMP) / gain;
    // Below lowBound the controller asks for more than full power; above highBound for less than none.
    const lowBound = target - (1 - ff) / kp;
    const highBound = target + ff / kp;
    for (let guard = 0; dt > 0 && guard < 4; guard++) {
      const t = this.temperature;
      if (t < lowBound) {
        const steady = AMBIENT_TEMP + gain;
        const reach = steady > lowBound ? tau * Math.log((steady - t) / (steady - lowBound)) : Infinity;
        if (reach >= dt) {
          this.temperature = relax(steady, tau, dt);
          break;
        }
        this.temperature = lowBound;
        dt -= reach;
      } else if (t > highBound) {
        const reach =
          highBound > AMBIENT_TEMP ? tau * Math.log((t - AMBIENT_TEMP) / (highBound - AMBIENT_TEMP)) : Infinity;
        if (reach >= dt) {
          this.temperature = relax(AMBIENT_TEMP, tau, dt);
          break;
        }
        this.temperature = highBound;
        dt -= reach;
      } else {
        // Regulating: the closed loop relaxes to exactly the target, faster than the bare plant.
        this.temperature = relax(target, tau / (1 + gain * kp), dt);
        break;
      }
    }
    this.power = Math.min(1, Math.max(0, ff + kp * (target - this.temperature)));
  }

  /** Current rate of change, degrees per simulated second. */
  slope(): number {
    return (AMBIENT_TEMP + this.params.gain * this.power - this.temperature) / this.params.tau;
  }
}
