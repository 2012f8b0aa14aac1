// motion_report (extras/motion_report.py): the toolhead position and velocity interpolated to
// "now" from the queued moves, refreshed at most every 0.25 s of printer time as in Klippy.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';
import { WebRequestError } from '../webhooks.js';

const STATUS_REFRESH_TIME = 0.25;

export class MotionReport implements StatusSource {
  private nextStatusTime = 0;
  private last: JsonObject = {
    live_position: [0, 0, 0, 0],
    live_velocity: 0,
    live_extruder_velocity: 0,
    steppers: ['extruder', 'stepper_x', 'stepper_y', 'stepper_z'],
    trapq: ['extruder', 'toolhead'],
  };

  constructor(private readonly printer: Printer) {
    // Klippy streams raw step and trapezoid data here; the sim has no steps to show.
    for (const what of ['dump_stepper', 'dump_trapq']) {
      printer.webhooks.registerEndpoint(`motion_report/${what}`, () => {
        throw new WebRequestError(`motion_report/${what} is not available on the virtual printer`);
      });
    }
  }

  getStatus(eventtime: number): JsonObject {
    if (eventtime < this.nextStatusTime) return this.last;
    this.nextStatusTime = eventtime + STATUS_REFRESH_TIME;
    const live = this.printer.toolhead.live(eventtime);
    this.last = {
      ...this.last,
      live_position: live.position,
      live_velocity: live.velocity,
      live_extruder_velocity: live.eVelocity,
    };
    return this.last;
  }
}
