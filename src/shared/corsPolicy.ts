// Which browser origins may use the API from another site: `[authorization] cors_domains`
// (glob patterns, `*` matching any run of characters) and the spec era's `[server] enable_cors`
// (every origin). Patterns are checked when the config is read; matching is pure.

/** Reads one `cors_domains` entry; throws an Error naming it when it cannot match an origin. */
export function parseCorsDomain(entry: string): string {
  const p = entry.trim().toLowerCase();
  const bad = (why: string) => new Error(`invalid cors domain "${entry}": ${why}`);
  if (p === '*') return p;
  if (/\s/.test(p)) throw bad('contains whitespace');
  const schemeEnd = p.indexOf('://');
  let hostPort: string;
  if (schemeEnd === -1) {
    // `*.local` style: the leading * stands for the scheme too.
    if (!p.startsWith('*')) throw bad('needs a scheme (http://, https:// or *://) or a leading *');
    hostPort = p;
  } else {
    const scheme = p.slice(0, schemeEnd);
    if (!/^[a-z*][a-z0-9+.*-]*$/.test(scheme)) throw bad(`"${scheme}" is not a scheme`);
    hostPort = p.slice(schemeEnd + 3);
  }
  if (hostPort.includes('/')) throw bad('an origin has no path (remove the trailing slash)');
  let host = hostPort;
  let port: string | undefined;
  const bracket = /^(\[[0-9a-f:.*]+\])(?::(.*))?$/.exec(hostPort);
  if (bracket) {
    host = bracket[1]!;
    port = bracket[2];
  } else if (hostPort.includes('[') || hostPort.includes(']')) {
    throw bad('malformed IPv6 host');
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon !== -1) {
      host = hostPort.slice(0, colon);
      port = hostPort.slice(colon + 1);
    }
  }
  if (port !== undefined && !/^(\d{1,5}|\*)$/.test(port)) throw bad(`"${port}" is not a port or *`);
  if (host === '') throw bad('no host');
  if (host === '*') throw bad('a bare * host matches every site; write "*" alone to allow every origin');
  if (!bracket && !/^[a-z0-9.*_-]+$/.test(host)) throw bad('the host has characters a domain cannot have');
  const labels = host.split('.');
  if (!bracket && labels.length > 1 && labels[labels.length - 1]!.includes('*')) {
    throw bad('the top-level domain cannot be a wildcard');
  }
  return p;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}

/** A browser Origin as sent: `scheme://host[:port]` and nothing more, or "null". */
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i;

/** The host part of a parsed cors_domains entry, without scheme and port: `http://a.lan:*` → `a.lan`. */
function hostOfPattern(pattern: string): string {
  const schemeEnd = pattern.indexOf('://');
  const hostPort = schemeEnd === -1 ? pattern : pattern.slice(schemeEnd + 3);
  if (hostPort.startsWith('[')) return hostPort.slice(0, hostPort.indexOf(']') + 1);
  const colon = hostPort.lastIndexOf(':');
  return colon === -1 ? hostPort : hostPort.slice(0, colon);
}

export class CorsPolicy {
  private readonly patterns: RegExp[];
  private readonly hostPatterns: RegExp[];
  readonly allowAll: boolean;

  /** `domains` are parsed `cors_domains` entries; `enableCors` is `[server] enable_cors`. */
  constructor(
    readonly domains: readonly string[],
    enableCors = false,
  ) {
    this.allowAll = enableCors || domains.includes('*');
    this.patterns = domains.filter((d) => d !== '*').map(globToRegExp);
    this.hostPatterns = domains.filter((d) => d !== '*').map((d) => globToRegExp(hostOfPattern(d)));
  }

  /**
   * Whether a host name (a Host header's, port dropped) is one the configured origins name:
   * a user who lists `http://my.printer.lan:*` reaches the server by that name.
   */
  allowsHostName(hostname: string): boolean {
    if (this.allowAll) return true;
    return this.hostPatterns.some((re) => re.test(hostname));
  }

  get enabled(): boolean {
    return this.allowAll || this.patterns.length > 0;
  }

  /** Whether a request's Origin header may read our responses. */
  allows(origin: string | undefined): boolean {
    if (origin === undefined || origin === '') return false;
    if (this.allowAll) return true;
    if (!ORIGIN.test(origin)) return false;
    return this.patterns.some((re) => re.test(origin));
  }

  describe(): string {
    if (this.allowAll) return 'every origin';
    return this.domains.length === 0 ? 'none' : this.domains.join(', ');
  }
}

/** The `host[:port]` an Origin names (default ports dropped), or undefined if it names none. */
export function originHost(origin: string): string | undefined {
  if (!ORIGIN.test(origin)) return undefined;
  try {
    const u = new URL(origin);
    return u.host === '' ? undefined : u.host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** A Host header read the same way (`printer.lan:80` over http is `printer.lan`). */
export function hostHeaderHost(host: string | undefined, scheme: 'http' | 'https' = 'http'): string | undefined {
  if (!host) return undefined;
  try {
    const u = new URL(`${scheme}://${host}`);
    return u.host === '' || u.pathname !== '/' ? undefined : u.host.toLowerCase();
  } catch {
    return undefined;
  }
}
