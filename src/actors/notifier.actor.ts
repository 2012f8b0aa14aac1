// Fan-out of server-wide events to every websocket client as JSON-RPC notifications.
// Each source is an RxJS stream; this file is the one place that names the notifications.
import type { Subscription } from 'rxjs';
import type { KlippyConnection } from './klippyConnection.actor.js';
import type { ConnectionRegistry } from '../transport/connections.js';
import type { Dialect } from '../transport/requestContext.js';
import type { FileManager } from '../fs/fileManager.js';
import { filelistChangedParams, metadataReply } from '../fs/fileShapes.js';

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

/**
 * notify_filelist_changed and notify_metadata_update, shaped once per dialect in use and sent
 * to every websocket right after the change.
 */
export function startFileNotifier(files: FileManager, connections: ConnectionRegistry): Subscription {
  const shapedBroadcast = (method: string, shape: (d: Dialect) => unknown) => {
    const texts = new Map<Dialect, string>();
    for (const c of connections.all()) {
      let text = texts.get(c.dialect);
      if (text === undefined) {
        text = JSON.stringify({ jsonrpc: '2.0', method, params: [shape(c.dialect)] });
        texts.set(c.dialect, text);
      }
      c.send(text);
    }
  };
  const subs = files.changes$.subscribe((change) => shapedBroadcast('notify_filelist_changed', (d) => filelistChangedParams(change, d)));
  subs.add(
    files.metadata$.subscribe(({ filename, metadata }) => shapedBroadcast('notify_metadata_update', (d) => metadataReply(filename, metadata, d))),
  );
  return subs;
}
