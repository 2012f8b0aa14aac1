// Every component moonstate has, in load order: a component is created after the ones it looks
// up, and started in this order (stopped in reverse). Which of them load follows the config
// (see ComponentDefinition.optional); server.info lists the ones that did. A new component is a
// folder under src/components/ and one line here.
import type { AnyComponent, SectionsSchema } from './component.js';
import type { ComponentSection } from '../config/loadConfig.js';
import { authorization } from './authorization/index.js';
import { jobState } from './job_state/index.js';
import { fileManager } from './file_manager/index.js';
import { dataStore } from './data_store/index.js';
import { klippyApis } from './klippy_apis/index.js';
import { database } from './database/index.js';
import { machine } from './machine/index.js';
import { procStats } from './proc_stats/index.js';
import { history } from './history/index.js';
import { jobQueue } from './job_queue/index.js';
import { webcam } from './webcam/index.js';
import { octoprintCompat } from './octoprint_compat/index.js';
import { server } from './server/index.js';

export const COMPONENTS: readonly AnyComponent[] = [
  authorization,
  jobState,
  fileManager,
  dataStore,
  klippyApis,
  database,
  machine,
  procStats,
  // History and the queue are started before Klippy is connected, so they hear every job.
  history,
  jobQueue,
  webcam,
  octoprintCompat,
  server,
];

/**
 * The sections some components read, with their options (loadConfig's componentOptions). An
 * optional component that declares none still owns its `[name]`: the section that loads it.
 */
export function componentSections(components: readonly AnyComponent[]): Readonly<Record<string, ComponentSection>> {
  const out: Record<string, ComponentSection> = Object.create(null);
  const owner = new Map<string, string>();
  for (const c of components) {
    const sections = (c.sections ?? (c.optional ? { [c.name]: {} } : {})) as SectionsSchema;
    for (const [section, options] of Object.entries(sections)) {
      // Two readers of one section would each see only their own options as known.
      if (owner.has(section)) throw new Error(`components ${owner.get(section)} and ${c.name} both declare [${section}]`);
      owner.set(section, c.name);
      out[section] = { options, optional: c.optional, moonrakerOnly: c.moonrakerOnly?.[section] };
    }
  }
  return out;
}

/** The sections moonstate's components read (loadServerConfig passes them to loadConfig). */
export const COMPONENT_OPTIONS = componentSections(COMPONENTS);
