// What a handler knows about who called it, whatever the transport.
import type { WsConnection } from './wsConnection.js';
import type { Dialect } from '../shared/dialect.js';


export interface RequestContext {
  /** 'unix': Moonraker's unix socket ({data_path}/comms/moonraker.sock), a connection like a websocket. */
  transport: 'http' | 'websocket' | 'unix';
  /** The peer's IP address (IPv4-mapped IPv6 addresses unwrapped). */
  clientAddress: string;
  dialect: Dialect;
  /** The websocket (or unix socket connection) the request came over, or the one an HTTP request named with connection_id. */
  connection: WsConnection | undefined;
}
