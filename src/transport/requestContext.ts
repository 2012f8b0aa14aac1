// What a handler knows about who called it, whatever the transport.
import type { WsConnection } from './wsConnection.js';

/**
 * The API dialect of a caller: the spec's (Moonraker as of September 2020) or today's
 * Moonraker. Decided once per connection; applied where replies are shaped.
 */
export type Dialect = 'spec' | 'current';

export interface RequestContext {
  /** 'unix': Moonraker's unix socket ({data_path}/comms/moonraker.sock), a connection like a websocket. */
  transport: 'http' | 'websocket' | 'unix';
  /** The peer's IP address (IPv4-mapped IPv6 addresses unwrapped). */
  clientAddress: string;
  dialect: Dialect;
  /** The websocket (or unix socket connection) the request came over, or the one an HTTP request named with connection_id. */
  connection: WsConnection | undefined;
}

export function normaliseAddress(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
