// Fan-out of server-wide events to every websocket client as JSON-RPC notifications.
// Each source is an RxJS stream; this file is the one place that names the notifications.
import type { Subscription } from 'rxjs';
import type { KlippyConnection } from './klippyConnection.actor.js';
import type { ConnectionRegistry } from '../transport/connections.js';

const KLIPPY_NOTIFICATIONS = {
  'klippy.ready': 'notify_klippy_ready',
  'klippy.shutdown': 'notify_klippy_shutdown',
  'klippy.disconnected': 'notify_klippy_disconnected',
} as const;

export function startNotifier(klippy: KlippyConnection, connections: ConnectionRegistry): Subscription {
  const subs = klippy.events$.subscribe((ev) => connections.broadcast(KLIPPY_NOTIFICATIONS[ev.type]));
  subs.add(klippy.gcode$.subscribe((line) => connections.broadcast('notify_gcode_response', [line])));
  return subs;
}
