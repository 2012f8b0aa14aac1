// The names a browser may use to reach this server, for the DNS-rebinding check: a page on
// evil.example whose name is re-pointed at the printer's address is same-origin to the browser,
// and only the Host header (the attacker's name) tells it apart. Pure but for the machine's
// host name, read once.
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';

/** A Host header's host name: lower case, no port, no brackets, no trailing dot. */
export function hostNameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  let u: URL;
  try {
    u = new URL(`http://${host}`);
  } catch {
    return undefined;
  }
  if (u.pathname !== '/' || u.username !== '' || u.password !== '' || u.search !== '') return undefined;
  let name = u.hostname.toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name === '' ? undefined : name;
}

export class ServerNames {
  private readonly names: ReadonlySet<string>;

  /**
   * `extra`: more names this server answers to (the configured listen host). The machine's
   * host name is added with and without its domain, and as `<name>.local` (mDNS).
   */
  constructor(extra: readonly string[] = [], machineHostname: string = osHostname()) {
    const names = new Set<string>(['localhost']);
    const host = machineHostname.toLowerCase().replace(/\.$/, '');
    if (host !== '') {
      const short = host.split('.')[0]!;
      for (const n of [host, short, `${host}.local`, `${short}.local`]) names.add(n);
    }
    for (const e of extra) {
      const n = hostNameOf(e);
      if (n !== undefined) names.add(n);
    }
    this.names = names;
  }

  /**
   * Whether `name` (from hostNameOf) is this server's. Any IP address literal is: rebinding
   * needs a name the attacker controls, and a browser that sent an address as Host connected
   * to that address, whatever NAT or port forwarding lies between (a list of our own addresses
   * would refuse those for nothing). `*.localhost` is loopback in every browser.
   */
  has(name: string): boolean {
    if (isIP(name) !== 0) return true;
    if (name.endsWith('.localhost')) return true;
    return this.names.has(name);
  }
}
