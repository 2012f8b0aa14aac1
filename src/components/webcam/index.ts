// Moonraker's webcam: the webcam entries every front-end shares ([webcam NAME] sections first,
// read-only, then those clients saved in the database).
import { Subject } from 'rxjs';
import { defineComponent, type Notification } from '../component.js';
import { webcamEndpoints } from './webcamEndpoints.js';
import { NOTIFY } from '../../shared/notifications.js';

export const webcam = defineComponent({
  name: 'webcam',
  create(k) {
    const notifications = new Subject<Notification>();
    return {
      endpoints: webcamEndpoints(k, (webcams) => notifications.next({ method: NOTIFY.webcamsChanged, params: [{ webcams }] })),
      notifications,
      stop: () => notifications.complete(),
    };
  },
});
