// Every JSON-RPC notification the server sends, named once. Clients (Mainsail, Fluidd,
// KlipperScreen, ...) dispatch on these exact strings, so they are Moonraker's names; the
// transport accepts only these, so a new notification is added here first.
export const NOTIFY = {
  klippyReady: 'notify_klippy_ready',
  klippyShutdown: 'notify_klippy_shutdown',
  klippyDisconnected: 'notify_klippy_disconnected',
  gcodeResponse: 'notify_gcode_response',
  statusUpdate: 'notify_status_update',
  /** A moonstate extension: the print job machine's transitions. */
  jobStateChanged: 'notify_job_state_changed',
  historyChanged: 'notify_history_changed',
  jobQueueChanged: 'notify_job_queue_changed',
  filelistChanged: 'notify_filelist_changed',
  metadataUpdate: 'notify_metadata_update',
  procStatUpdate: 'notify_proc_stat_update',
  webcamsChanged: 'notify_webcams_changed',
} as const;

export type NotificationMethod = (typeof NOTIFY)[keyof typeof NOTIFY];
