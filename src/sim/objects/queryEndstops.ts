// query_endstops (extras/query_endstops.py): QUERY_ENDSTOPS/M119 and the query_endstops/status
// endpoint. A virtual switch reads TRIGGERED when its axis is homed and parked on the endstop.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { Printer } from '../printer.js';
import type { StatusSource } from '../printerObject.js';

// Today's Klippy names each endstop after its stepper (the 2020 one said x, y, z).
const NAMES = ['x', 'y', 'z'] as const;

export class QueryEndstops implements StatusSource {
  private lastState: Array<[string, boolean]> = [];

  constructor(private readonly printer: Printer) {
    const report = (): string =>
      this.query()
        .map(([name, t]) => `${name}:${t ? 'TRIGGERED' : 'open'}`)
        .join(' ');
    const desc = 'Report on the status of each endstop';
    printer.gcode.registerCommand('QUERY_ENDSTOPS', (g) => g.respondRaw(report()), { desc });
    printer.gcode.registerCommand('M119', (g) => g.respondRaw(report()));
    printer.webhooks.registerEndpoint('query_endstops/status', async (req) => {
      // Klippy holds the gcode mutex so the answer reflects all queued moves.
      const release = await printer.gcode.mutex.lock();
      try {
        this.query();
      } finally {
        release();
      }
      req.send(Object.fromEntries(this.lastState.map(([n, t]) => [n, t ? 'TRIGGERED' : 'open'])));
    });
  }

  private query(): Array<[string, boolean]> {
    const { toolhead, config } = this.printer;
    toolhead.getLastMoveTime();
    this.lastState = NAMES.map((name, axis) => {
      const endstop = config.getFloat(`stepper_${name}`, 'position_endstop');
      const parked = Math.abs((toolhead.commandedPos[axis] ?? 0) - endstop) < 1e-9;
      return [`stepper_${name}`, toolhead.isHomed(axis) && parked];
    });
    return this.lastState;
  }

  getStatus(): JsonObject {
    return { last_query: Object.fromEntries(this.lastState) };
  }
}
