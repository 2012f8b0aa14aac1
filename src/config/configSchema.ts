// The kernel's own sections ([server], [virtual_klippy]) and the loaded config's shape. Each
// component declares the sections it reads in its own folder (ComponentDefinition.sections);
// loadConfig parses both alike. Names follow Moonraker's where Moonraker has the same option, so
// an existing moonraker.conf mostly just works; options we do not know are warned about, never
// fatal (Moonraker's files carry many of them).
import { opt, type OptionSpec } from './options.js';

export const CONFIG_SCHEMA = {
  server: {
    host: opt.string('0.0.0.0'),
    /**
     * Reply shapes for HTTP callers: `current` (today's Moonraker, what Mainsail and Fluidd
     * parse: a user swapping servers changes nothing) or `spec` (Moonraker as of September 2020).
     * Websocket clients that call server.connection.identify get `current` whatever this says;
     * a websocket that never identifies keeps the 2020 dialect.
     */
    api_dialect: opt.oneOf(['spec', 'current'] as const, 'current'),
    /** A built web client (Mainsail's or Fluidd's release files) served at / on the same port. */
    web_path: opt.optionalPath(),
    // 0 lets the OS choose a free port (tests, side-by-side instances).
    port: opt.int(7125, 0, 65535),
    /**
     * Klippy's API socket; default {data_path}/comms/klippy.sock, where installers put it
     * (Moonraker's code falls back to /tmp/klippy_uds). Undefined after
     * loading only when the virtual Klippy runs (see MoonstateConfig.klippy).
     */
    klippy_uds_address: opt.optionalPath(),
    /** Largest accepted upload, in MiB (Moonraker's option of the same name). */
    max_upload_size: opt.int(1024, 1),
    /** Largest accepted websocket message / JSON HTTP body, in KiB. */
    max_websocket_message_size: opt.int(4096, 1),
    max_http_body_size: opt.int(4096, 1),
    /** Bytes a websocket client may leave unread before it is dropped, in KiB. */
    max_websocket_backlog: opt.int(16384, 64),
    /**
     * Unread bytes all websocket clients together may leave, in KiB: past it the clients with
     * the most unread are dropped first, so many stalled clients cannot exhaust memory.
     */
    max_websocket_backlog_total: opt.int(65536, 64),
    /**
     * Largest reply (a websocket batch's replies together) the server builds, in KiB; larger
     * ones are answered with 413 "Reply too large". Websocket replies are also held to
     * max_websocket_backlog.
     */
    max_reply_size: opt.int(65536, 64),
    /**
     * Seconds a request that runs gcode (gcode/script, pause/resume/cancel) waits for Klippy's
     * reply before it fails with a timeout; other requests wait 20 s.
     */
    klippy_gcode_timeout: opt.float(3600, 0, 7 * 86400, { exclusiveMin: true }),
    enable_debug_logging: opt.bool(false),
    /** Stream every machine's inspection events at /debug/inspect, viewer at /debug/inspector. */
    enable_inspection: opt.bool(false),
    /** The spec era's CORS switch: every origin may use the API from a browser. */
    enable_cors: opt.bool(false),
  },
  /**
   * The built-in virtual printer: used when the section is present (even empty; it wins over
   * klippy_uds_address) or when no config file exists at all.
   */
  virtual_klippy: {
    /** Simulated physics (heating, moves, prints) runs this many times faster than real time. */
    time_scale: opt.float(1, 0, 1_000_000, { exclusiveMin: true }),
    /** Seconds the virtual Klippy reports "startup" before "ready" (a real one connects its MCU). */
    startup_delay: opt.float(0.5, 0, 60),
  },
} satisfies Record<string, Record<string, OptionSpec<unknown>>>;

/** A `[webcam NAME]` section: Moonraker's options and defaults (stream_url is required). */
export const WEBCAM_SCHEMA = {
  enabled: opt.bool(true),
  icon: opt.string('mdiWebcam'),
  aspect_ratio: opt.pattern(/^\d+:\d+$/, 'a ratio such as 16:9', '4:3'),
  target_fps: opt.int(15, 1),
  target_fps_idle: opt.int(5, 1),
  location: opt.string('printer'),
  service: opt.string('mjpegstreamer'),
  stream_url: opt.optionalString(),
  snapshot_url: opt.string(''),
  flip_horizontal: opt.bool(false),
  flip_vertical: opt.bool(false),
  rotation: opt.oneOfInts([0, 90, 180, 270], 0),
} satisfies Record<string, OptionSpec<unknown>>;

export type WebcamConfig = {
  [O in keyof typeof WEBCAM_SCHEMA]: (typeof WEBCAM_SCHEMA)[O] extends OptionSpec<infer T> ? T : never;
} & { name: string; stream_url: string };

/** Which Klippy the server talks to, and why (the start-up log says it). */
export interface KlippyChoice {
  /** true: the built-in virtual Klippy; false: the socket in [server] klippy_uds_address. */
  virtual: boolean;
  reason: string;
}

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
  /** A config was read (a file, or a text standing for one); false: defaults only, the embedded printer. */
  hasConfigFile: boolean;
  /** Every file read (the main one first, then includes) with the sections each holds. */
  configFiles: Array<{ path: string; sections: string[] }>;
  /** Every option as written in the files (strings), by section: server.config's `orig`. */
  orig: Record<string, Record<string, string>>;
  /**
   * The typed values (defaults filled in) of the sections components read, by section name,
   * which the component host hands to them; `error` when a value in an optional component's
   * section is bad (that component fails). An optional component's section is only here when
   * the component will load.
   */
  componentSections: Record<string, { values: Record<string, unknown> } | { error: string }>;
  /**
   * Every section as server.config reports it: typed values (defaults filled in) for the
   * sections moonstate reads, the strings as written for the others.
   */
  parsed: Record<string, Record<string, unknown>>;
  /** `[webcam NAME]` sections, in file order. */
  webcams: WebcamConfig[];
  klippy: KlippyChoice;
  /** Warnings from loading (unknown sections and options), shown in server.info. */
  warnings: string[];
};
