// A peer's IP address as the authorization rules and logs compare it.

/** IPv4-mapped IPv6 addresses (::ffff:10.0.0.2) unwrapped to their IPv4 form. */
export function normaliseAddress(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
