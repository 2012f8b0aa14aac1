// The `[authorization] trusted_clients` list: IP addresses and CIDR networks, IPv4 and IPv6,
// whose requests need no credentials. Parsing is strict (an entry we cannot read is an error
// that names it) and matching is exact; both are pure, so the decision table can use them.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { normaliseAddress } from './clientAddress.js';

export interface TrustedNetwork {
  /** The entry as written in the config. */
  entry: string;
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

/** What `npm start` trusts when nothing else is configured (see README, Authorization). */
export const LOOPBACK_NETWORKS = ['127.0.0.0/8', '::1/128'] as const;

/** Reads one entry, `ADDRESS` or `ADDRESS/PREFIX`; throws an Error naming the entry otherwise. */
export function parseTrustedNetwork(entry: string): TrustedNetwork {
  const text = entry.trim();
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : undefined;
  if (!family) throw new Error(`invalid trusted client "${entry}": not an IP address or CIDR network`);
  const max = family === 'ipv4' ? 32 : 128;
  if (slash === -1) return { entry: text, family, address, prefix: max };
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) {
    throw new Error(`invalid trusted client "${entry}": prefix length must be 0..${max}`);
  }
  return { entry: text, family, address, prefix };
}

export class TrustedClients {
  private readonly list = new BlockList();

  constructor(readonly networks: readonly TrustedNetwork[]) {
    for (const n of networks) this.list.addSubnet(n.address, n.prefix, n.family);
  }

  static parse(entries: readonly string[]): TrustedClients {
    return new TrustedClients(entries.map(parseTrustedNetwork));
  }

  /** Whether a peer address (IPv4-mapped IPv6 unwrapped first) lies in a trusted network. */
  contains(peer: string): boolean {
    const addr = normaliseAddress(peer);
    const family = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined;
    if (!family || this.networks.length === 0) return false;
    try {
      return this.list.check(addr, family);
    } catch {
      return false;
    }
  }

  toString(): string {
    return this.networks.length === 0 ? '(none)' : this.networks.map((n) => n.entry).join(', ');
  }
}
