// Moonraker's klippy_apis: the printer.* namespace (objects, gcode, restarts, print control),
// Klippy's own endpoints passed through, and the Klippy connection's notifications.
import { map, merge, type Observable } from 'rxjs';
import { defineComponent, type Notification } from '../component.js';
import { printerEndpoints, wsSubscriber } from './printerEndpoints.js';
import { printEndpoints } from './printEndpoints.js';
import { klippyRemoteMethod } from './klippyRemoteMethods.js';
import { jobState } from '../job_state/index.js';
import { dataStore } from '../data_store/index.js';
import { NOTIFY } from '../../shared/notifications.js';

const KLIPPY_NOTIFICATIONS = {
  'klippy.ready': NOTIFY.klippyReady,
  'klippy.shutdown': NOTIFY.klippyShutdown,
  'klippy.disconnected': NOTIFY.klippyDisconnected,
} as const;

export const klippyApis = defineComponent({
  name: 'klippy_apis',
  create(k) {
    const { printControl } = k.lookup(jobState);
    const { gcodeStore } = k.lookup(dataStore);
    const notifications: Observable<Notification> = merge(
      k.klippy.events$.pipe(map((ev) => ({ method: KLIPPY_NOTIFICATIONS[ev.type] }))),
      k.klippy.gcode$.pipe(map((line) => ({ method: NOTIFY.gcodeResponse, params: [line] }))),
    );
    // A closed websocket's status subscription ends with it.
    const closed = k.connections.closed$.subscribe((conn) => k.subscriptions.unsubscribe(wsSubscriber(conn)));
    return {
      endpoints: [
        ...printerEndpoints({ klippy: k.klippy, subscriptions: k.subscriptions, connections: k.connections, gcodeStore }),
        ...printEndpoints(printControl),
      ],
      /** Methods Klippy registered, found at run time (declared endpoints win). */
      fallback: klippyRemoteMethod(k.klippy),
      notifications,
      stop: () => closed.unsubscribe(),
    };
  },
});
