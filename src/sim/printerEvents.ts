// Klippy's send_event/register_event_handler, limited to the events the sim's objects use.
// Handlers run synchronously in registration order, as in Klippy, so the order objects are
// created in decides who reacts first (e.g. gcode reports "Klipper state: Shutdown" first).

export interface PrinterEventMap {
  ready: [];
  shutdown: [];
  disconnect: [];
  /** The process ends: what the OS would release for Klippy (open files) is released here. */
  dispose: [];
  'gcode:command_error': [];
  'gcode:request_restart': [];
  'stepper_enable:motor_off': [];
}

type Handler<A extends unknown[]> = (...args: A) => void;

export class PrinterEvents {
  private readonly handlers = new Map<keyof PrinterEventMap, Array<Handler<never[]>>>();

  on<K extends keyof PrinterEventMap>(event: K, handler: Handler<PrinterEventMap[K]>): void {
    const list = this.handlers.get(event) ?? [];
    list.push(handler as Handler<never[]>);
    this.handlers.set(event, list);
  }

  emit<K extends keyof PrinterEventMap>(event: K, ...args: PrinterEventMap[K]): void {
    for (const h of this.handlers.get(event) ?? []) (h as Handler<PrinterEventMap[K]>)(...args);
  }
}
