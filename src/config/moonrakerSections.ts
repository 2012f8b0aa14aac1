// What a user's moonraker.conf may hold besides the options moonstate reads: sections of
// Moonraker components moonstate does not have (their values still reach server.config, which
// Mainsail and Fluidd read), and options Moonraker reads in sections moonstate does have but
// that change nothing here. Neither is "unknown": Moonraker itself would accept them.
import { opt, type OptionSpec } from './options.js';

/** Moonraker components (a section is `[name]` or `[name something]`) that moonstate lacks. */
export const MOONRAKER_ONLY_COMPONENTS: ReadonlySet<string> = new Set([
  'analysis',
  'announcements',
  'button',
  'gpio',
  'ldap',
  'mqtt',
  'notifier',
  'paneldue',
  'power',
  'secrets',
  'sensor',
  'shell_command',
  'simplyprint',
  'spoolman',
  'td1',
  'update_manager',
  'wled',
  'zeroconf',
  // Third-party components installed into Moonraker, common in MainsailOS and KIAUH setups.
  'timelapse',
  'preprocess_cancellation',
]);

/** Sections of components moonstate has that need no options of their own. */
export const OPTIONLESS_SECTIONS: ReadonlySet<string> = new Set(['history', 'database', 'klippy_apis']);

/**
 * Options Moonraker reads in the kernel's sections and in optionless ones, accepted here without
 * effect. They are typed, with Moonraker's defaults, because clients read them from
 * server.config. A component declares its own sections' (ComponentDefinition.moonrakerOnly).
 */
export const MOONRAKER_ONLY_OPTIONS: Readonly<Record<string, Record<string, OptionSpec<unknown>>>> = {
  server: {
    ssl_port: opt.int(7130, -1, 65535),
    ssl_certificate_path: opt.optionalString(),
    ssl_key_path: opt.optionalString(),
    route_prefix: opt.optionalString(),
    max_websocket_connections: opt.optionalString(),
  },
  database: { database_path: opt.optionalString(), enable_database_debug: opt.bool(false) },
};

/** The component a section belongs to: `update_manager mainsail` → `update_manager`. */
export const componentOf = (section: string): string => section.split(' ', 1)[0]!;
