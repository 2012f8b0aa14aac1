// Moonraker's database component: the namespaces clients store their settings in, and backup,
// restore and compaction of the store (the store itself is the kernel's, src/db/).
import { defineComponent } from '../component.js';
import { databaseEndpoints } from './databaseEndpoints.js';
import { jobState } from '../job_state/index.js';

export const database = defineComponent({
  name: 'database',
  create(k) {
    const { printJob } = k.lookup(jobState);
    return { endpoints: databaseEndpoints({ database: k.database, paths: k.paths, printJob }) };
  },
});
