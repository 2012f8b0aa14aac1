// The server namespace: facts and histories the server itself keeps.
import { rpc, type Endpoint } from '../transport/endpointRegistry.js';
import { param } from '../transport/params.js';
import type { Services } from './services.js';

export function serverEndpoints(s: Services): Endpoint[] {
  return [
    rpc({
      method: 'server.temperature_store',
      description: 'The last temperature_store_size samples (1 Hz) of every sensor, oldest first',
      http: { verbs: ['GET'], path: '/server/temperature_store' },
      params: { include_monitors: param.boolean({ default: false }) },
      handler: ({ include_monitors }) => s.temperatures.snapshot(include_monitors),
    }),
  ];
}
