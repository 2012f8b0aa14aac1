// What a user's moonraker.conf may hold besides the options moonstate reads: sections of
// Moonraker components moonstate does not have (their values still reach server.config, which
// Mainsail and Fluidd read), and options Moonraker reads in sections moonstate does have but
// that change nothing here. Neither is "unknown": Moonraker itself would accept them.

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
export const OPTIONLESS_SECTIONS: ReadonlySet<string> = new Set(['history', 'octoprint_compat', 'database', 'klippy_apis']);

/** Options Moonraker reads in sections moonstate knows, accepted here without effect. */
export const MOONRAKER_ONLY_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  server: ['ssl_port', 'ssl_certificate_path', 'ssl_key_path', 'route_prefix', 'max_websocket_connections'],
  authorization: ['force_logins', 'default_source', 'enable_api_key', 'login_timeout', 'max_login_attempts'],
  file_manager: [
    'enable_object_processing',
    'queue_gcode_uploads',
    'check_klipper_config_path',
    'enable_config_write_access',
    'enable_inotify_warnings',
    'enable_observer_warnings',
    'file_system_observer',
    'log_path',
    'default_metadata_parser_timeout',
  ],
  machine: ['provider', 'validate_service', 'validate_config', 'force_validation', 'sudo_password', 'supervisord_config_path'],
  database: ['database_path', 'enable_database_debug'],
  octoprint_compat: ['enable_ufp', 'flip_h', 'flip_v', 'rotate_90', 'stream_url', 'webcam_enabled'],
};

/** The component a section belongs to: `update_manager mainsail` → `update_manager`. */
export const componentOf = (section: string): string => section.split(' ', 1)[0]!;
