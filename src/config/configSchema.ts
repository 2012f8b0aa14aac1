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
  },
  /** The built-in virtual printer used when no klippy_uds_address is configured. */
  virtual_klippy: {
    /** Simulated physics (heating, moves, prints) runs this many times faster than real time. */
    time_scale: opt.float(1, 0, 1_000_000, { exclusiveMin: true }),
    /** Seconds the virtual Klippy reports "startup" before "ready" (a real one connects its MCU). */
    startup_delay: opt.float(0.5, 0, 60),
  },
  /** Moonraker's [file_manager]: where the `config` root lives (default: DATA_PATH/config with the virtual Klippy). */
  file_manager: {
    config_path: opt.optionalPath(),
  },
  /** The `gcodes` root, when it should not be the folder Klippy's [virtual_sdcard] reports. */
  virtual_sdcard: {
    path: opt.optionalPath(),
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
