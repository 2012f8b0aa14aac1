// Moonraker's octoprint_compat: enough of OctoPrint's API for slicers and farm managers that
// speak OctoPrint (version checks, uploads). Optional, as in Moonraker: loaded when the config
// has an [octoprint_compat] section (or when there is no config file at all).
import { defineComponent } from '../component.js';
import { opt } from '../../config/options.js';
import { octoprintEndpoints } from './octoprintEndpoints.js';
import { uploadReceiver } from '../file_manager/fileEndpoints.js';
import { fileManager } from '../file_manager/index.js';
import { jobState } from '../job_state/index.js';

export const octoprintCompat = defineComponent({
  name: 'octoprint_compat',
  optional: true,
  // Moonraker's options: accepted and typed (server.config shows them), with Moonraker's
  // defaults; they describe OctoPrint's webcam and UFP settings, which moonstate does not serve.
  sections: {
    octoprint_compat: {
      enable_ufp: opt.bool(true),
      flip_h: opt.bool(false),
      flip_v: opt.bool(false),
      rotate_90: opt.bool(false),
      stream_url: opt.string('/webcam/?action=stream'),
      webcam_enabled: opt.bool(true),
    },
  },
  create(k) {
    const { printControl } = k.lookup(jobState);
    return { endpoints: octoprintEndpoints(uploadReceiver({ config: k.config, printControl }, k.lookup(fileManager))) };
  },
});
