// configfile (configfile.py get_status): the loaded printer.cfg as raw strings and parsed
// settings. Moonraker reads config.virtual_sdcard.path to find the gcodes folder.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { PrinterConfig } from '../printerConfig.js';
import type { StatusSource } from '../printerObject.js';

export class Configfile implements StatusSource {
  // Immutable for the life of a run, so one snapshot serves every query.
  private readonly status: JsonObject;

  constructor(config: PrinterConfig) {
    this.status = {
      config: config.rawConfig(),
      settings: config.settings(),
      warnings: [],
      save_config_pending: false,
      save_config_pending_items: {},
    };
  }

  getStatus(): JsonObject {
    return this.status;
  }
}
