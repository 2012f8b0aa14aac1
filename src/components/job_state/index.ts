// Moonraker's job_state: what the printer is doing with a print job, followed from Klippy's
// print_stats by the print job machine, and the one place that starts, pauses, resumes and
// cancels prints. Other components (history, job_queue, file_manager, klippy_apis) look it up.
import { map, pairwise, startWith, filter } from 'rxjs';
import { defineComponent, type ComponentDefinition, type ComponentInstance } from '../component.js';
import { PrintJobTracker } from './printJob.actor.js';
import { PrintControl } from './printControl.js';
import { jobView } from './jobView.js';
import { fileManager } from '../file_manager/index.js';
import { NOTIFY } from '../../shared/notifications.js';

export interface JobStateApi {
  printJob: PrintJobTracker;
  printControl: PrintControl;
}

export const jobState: ComponentDefinition<JobStateApi> = defineComponent({
  name: 'job_state',
  create(k): ComponentInstance<JobStateApi> {
    const printJob = new PrintJobTracker(k.klippy, k.subscriptions, { inspect: k.inspection.inspector('printJob') });
    // The file manager loads after this component; it is asked at the time of a print.
    const printControl = new PrintControl(k.klippy, printJob, (filename) => k.lookup(fileManager).resolveGcode(filename));
    return {
      api: { printJob, printControl },
      // A moonstate extension: the print job machine's transitions, for UIs that want them exact
      // rather than inferred from print_stats diffs. Clients that do not know it ignore it.
      notifications: printJob.state$.pipe(
        startWith(printJob.state),
        pairwise(),
        filter(([previous, state]) => previous !== state),
        map(([previous, state]) => ({ method: NOTIFY.jobStateChanged, params: [{ state, previous_state: previous, job: jobView(printJob.job) }] })),
      ),
      start: () => printJob.start(),
      stop: () => printJob.stop(),
    };
  },
});
