// The gcode/* endpoints (webhooks.py GCodeHelper): help, script, restart, firmware_restart and
// subscribe_output, which forwards every gcode response line to the subscribed connections.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { Printer } from '../printer.js';
import type { WebConnection } from '../webhooks.js';

export class GcodeEndpoints {
  private readonly outputClients = new Map<WebConnection, JsonObject>();
  private outputRegistered = false;

  constructor(private readonly printer: Printer) {
    const { webhooks, gcode } = printer;
    webhooks.registerEndpoint('gcode/help', (req) => req.send(gcode.getCommandHelp()));
    webhooks.registerEndpoint('gcode/script', (req) => gcode.runScript(req.getStr('script')));
    webhooks.registerEndpoint('gcode/restart', () => gcode.runScript('restart'));
    webhooks.registerEndpoint('gcode/firmware_restart', () => gcode.runScript('firmware_restart'));
    webhooks.registerEndpoint('gcode/subscribe_output', (req) => {
      this.outputClients.set(req.conn, req.getDict('response_template', {}));
      if (!this.outputRegistered) {
        gcode.registerOutputHandler((msg) => this.forward(msg));
        this.outputRegistered = true;
      }
    });
  }

  private forward(msg: string): void {
    for (const [conn, template] of this.outputClients) {
      if (conn.isClosed()) {
        this.outputClients.delete(conn);
        continue;
      }
      conn.send({ ...template, params: { response: msg } });
    }
  }
}
