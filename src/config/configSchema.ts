// Every section and option moonstate understands, in one place. Names follow Moonraker's where
// Moonraker has the same option, so an existing moonraker.conf mostly just works; options we do
// not know are warned about, never fatal (Moonraker's files carry many of them).
import { opt, type OptionSpec } from './options.js';

export const CONFIG_SCHEMA = {
  server: {
    host: opt.string('0.0.0.0'),
    // 0 lets the OS choose a free port (tests, side-by-side instances).
    port: opt.int(7125, 0, 65535),
    /** Klippy's API socket. Absent: moonstate runs its built-in virtual Klippy. */
    klippy_uds_address: opt.optionalPath(),
    /** Largest accepted upload, in MiB (Moonraker's option of the same name). */
    max_upload_size: opt.int(1024, 1),
    /** Largest accepted websocket message / JSON HTTP body, in KiB. */
    max_websocket_message_size: opt.int(4096, 1),
    max_http_body_size: opt.int(4096, 1),
    /** Bytes a websocket client may leave unread before it is dropped, in KiB. */
    max_websocket_backlog: opt.int(16384, 64),
    enable_debug_logging: opt.bool(false),
    /** Stream every machine's inspection events at /debug/inspect, viewer at /debug/inspector. */
    enable_inspection: opt.bool(false),
  },
  data_store: {
    /** Samples kept per sensor by server.temperature_store (one a second: 1200 = 20 minutes). */
    temperature_store_size: opt.int(1200, 1, 86400),
    /** Lines kept by server.gcode_store. */
    gcode_store_size: opt.int(1000, 1, 100000),
  },
  machine: {
    /** Run by machine.shutdown, after the reply is sent. */
    shutdown_command: opt.string('sudo shutdown now'),
    /** Run by machine.reboot, after the reply is sent. */
    reboot_command: opt.string('sudo shutdown -r now'),
  },
  /** The built-in virtual printer used when no klippy_uds_address is configured. */
  virtual_klippy: {
    /** Simulated physics (heating, moves, prints) runs this many times faster than real time. */
    time_scale: opt.float(1, 0, 1_000_000, { exclusiveMin: true }),
    /** Seconds the virtual Klippy reports "startup" before "ready" (a real one connects its MCU). */
    startup_delay: opt.float(0.5, 0, 60),
  },
} satisfies Record<string, Record<string, OptionSpec<unknown>>>;

export type ConfigSchema = typeof CONFIG_SCHEMA;

export type MoonstateConfig = {
  [S in keyof ConfigSchema]: {
    [O in keyof ConfigSchema[S]]: ConfigSchema[S][O] extends OptionSpec<infer T> ? T : never;
  };
} & {
  /** Where moonstate keeps its data (gcodes of the virtual printer, logs, database). */
  dataPath: string;
  /** The config file read, if any. */
  configFile: string | undefined;
};
