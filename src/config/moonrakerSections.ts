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
 * Options Moonraker reads in sections moonstate knows, accepted here without effect. They are
 * typed, with Moonraker's defaults, because clients read them from server.config (Mainsail looks
 * at file_manager.enable_object_processing, and "False" would be a true string).
 */
export const MOONRAKER_ONLY_OPTIONS: Readonly<Record<string, Record<string, OptionSpec<unknown>>>> = {
  server: {
    ssl_port: opt.int(7130, -1, 65535),
    ssl_certificate_path: opt.optionalString(),
    ssl_key_path: opt.optionalString(),
    route_prefix: opt.optionalString(),
    max_websocket_connections: opt.optionalString(),
  },
  authorization: {
    force_logins: opt.bool(false),
    default_source: opt.string('moonraker'),
    enable_api_key: opt.bool(true),
    login_timeout: opt.int(90, 1),
    max_login_attempts: opt.optionalString(),
  },
  file_manager: {
    enable_object_processing: opt.bool(false),
    queue_gcode_uploads: opt.bool(false),
    check_klipper_config_path: opt.bool(true),
    enable_inotify_warnings: opt.bool(true),
    enable_observer_warnings: opt.bool(true),
    file_system_observer: opt.string('inotify'),
    log_path: opt.optionalString(),
    default_metadata_parser_timeout: opt.optionalString(),
  },
  machine: {
    provider: opt.string('systemd_dbus'),
    validate_service: opt.bool(true),
    validate_config: opt.bool(true),
    force_validation: opt.bool(false),
    sudo_password: opt.optionalString(),
    supervisord_config_path: opt.optionalString(),
  },
  database: { database_path: opt.optionalString(), enable_database_debug: opt.bool(false) },
};

/** The component a section belongs to: `update_manager mainsail` → `update_manager`. */
export const componentOf = (section: string): string => section.split(' ', 1)[0]!;
