// The systemd service that runs moonstate in Moonraker's place, in the shape of the unit
// Moonraker's installer writes: the user's account, an environment file in
// {data_path}/systemd holding the command-line arguments, restart on failure, started after the
// network. `Conflicts=moonraker.service` makes the swap safe: systemd stops one before it
// starts the other, as they share port 7125 and {data_path}/comms/moonraker.sock.

export const UNIT_NAME = 'moonstate.service';
export const MOONRAKER_UNIT = 'moonraker.service';
export const ENV_FILE_NAME = 'moonstate.env';

export interface UnitOptions {
  /** The account the service runs as (Moonraker's: the user who owns printer_data). */
  user: string;
  dataPath: string;
  /** The node binary and moonstate's compiled entry point. */
  nodePath: string;
  entryPath: string;
  /** Where the environment file lives: {data_path}/systemd/moonstate.env. */
  envFile: string;
}

/** systemd splits unquoted values on spaces and reads `$`, `%`, quotes and backslashes specially. */
export function checkUnitPath(what: string, path: string): void {
  if (!path.startsWith('/')) throw new Error(`${what} must be an absolute path: ${path}`);
  if (/[\s"'\\$%]/.test(path)) throw new Error(`${what} may not contain spaces, quotes, '\\', '$' or '%' (systemd would split or expand it): ${path}`);
}

export function unitText(o: UnitOptions): string {
  for (const [what, p] of [['the data path', o.dataPath], ['node', o.nodePath], ['the moonstate entry point', o.entryPath], ['the environment file', o.envFile]] as const) {
    checkUnitPath(what, p);
  }
  if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(o.user)) throw new Error(`not a user name: ${o.user}`);
  return `# Written by \`moonstate install\`; \`moonstate uninstall\` removes it and starts Moonraker again.
[Unit]
Description=moonstate, a Moonraker-compatible API server for Klipper
Requires=network-online.target
After=network-online.target
# One API server at a time: both listen on port 7125 and on {data_path}/comms/moonraker.sock.
Conflicts=${MOONRAKER_UNIT}

[Install]
WantedBy=multi-user.target

[Service]
Type=simple
User=${o.user}
EnvironmentFile=${o.envFile}
ExecStart=${o.nodePath} ${o.entryPath} $MOONSTATE_ARGS
Restart=always
RestartSec=10
`;
}

/** The environment file: the arguments, kept beside Moonraker's moonraker.env as its installer does. */
export function envText(o: Pick<UnitOptions, 'dataPath'>): string {
  checkUnitPath('the data path', o.dataPath);
  return `MOONSTATE_ARGS="-d ${o.dataPath}"\n`;
}
