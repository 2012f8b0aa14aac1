// The print namespace of the spec: start, pause, resume, cancel. Each is one call into
// PrintControl, which checks the file and the job state before asking Klippy.
import { rpc, type Endpoint } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import type { PrintControl } from '../job_state/printControl.js';

export function printEndpoints(printControl: PrintControl): Endpoint[] {
  const ok = async (p: Promise<unknown>) => {
    await p;
    return 'ok';
  };
  return [
    rpc({
      method: 'printer.print.start',
      description: 'Print a file from the gcodes root (path relative to it)',
      http: { verbs: ['POST'], path: '/printer/print/start' },
      params: { filename: param.string({ required: true }) },
      handler: ({ filename }) => ok(printControl.start(filename)),
    }),
    rpc({
      method: 'printer.print.pause',
      description: 'Pause the current print',
      http: { verbs: ['POST'], path: '/printer/print/pause' },
      params: {},
      handler: () => ok(printControl.pause()),
    }),
    rpc({
      method: 'printer.print.resume',
      description: 'Resume a paused print',
      http: { verbs: ['POST'], path: '/printer/print/resume' },
      params: {},
      handler: () => ok(printControl.resume()),
    }),
    rpc({
      method: 'printer.print.cancel',
      description: 'Cancel the current print',
      http: { verbs: ['POST'], path: '/printer/print/cancel' },
      params: {},
      handler: () => ok(printControl.cancel()),
    }),
  ];
}
