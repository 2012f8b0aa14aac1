// heater_fan (extras/heater_fan.py): a hotend fan that runs while its heater is on or still
// hot, as Klippy decides it on every status read. Clients show it in the fan panel.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';

export class HeaterFan implements StatusSource {
  private readonly heaterNames: string[];
  private readonly heaterTemp: number;
  private readonly fanSpeed: number;

  constructor(
    private readonly printer: Printer,
    section: string,
  ) {
    const { config } = printer;
    this.heaterNames = config.get(section, 'heater', 'extruder').split(',').map((h) => h.trim());
    this.heaterTemp = config.getFloat(section, 'heater_temp', 50);
    this.fanSpeed = config.getFloat(section, 'fan_speed', 1);
  }

  getStatus(eventtime: number): JsonObject {
    const hot = this.printer.heaters
      .all()
      .filter((h) => this.heaterNames.includes(h.name))
      .some((h) => {
        const [temp, target] = h.getTemp(eventtime);
        return target > 0 || temp > this.heaterTemp;
      });
    return { speed: hot ? this.fanSpeed : 0, rpm: null };
  }
}
