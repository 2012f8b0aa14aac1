// Moonraker's file_manager: the roots (gcodes, config, logs, docs, config_examples), every file
// operation, uploads and downloads, gcode metadata and thumbnails, and the notifications of
// changes. The file side lives in src/fs/; this folder declares the endpoints and connects it.
import { Observable, merge } from 'rxjs';
import { defineComponent, type ComponentDefinition, type ComponentInstance, type Notification } from '../component.js';
import { opt } from '../../config/options.js';
import { FileManager } from '../../fs/fileManager.js';
import { filelistChangedParams, metadataReply } from './fileReplies.js';
import { fileEndpoints } from './fileEndpoints.js';
import { jobState } from '../job_state/index.js';
import { NOTIFY } from '../../shared/notifications.js';

const SECTIONS = {
  /** Moonraker's [file_manager]. */
  file_manager: {
    /** Where the `config` root lives (default: {data_path}/config; Moonraker has deprecated the option). */
    config_path: opt.optionalPath(),
    /** Moonraker's switch: false makes the `config` root read-only. */
    enable_config_write_access: opt.bool(true),
    /** Add Klipper's exclude_object lines to uploaded gcode whose slicer labels objects. */
    enable_object_processing: opt.bool(false),
  },
  /** The `gcodes` root, when it should not be the folder Klippy's [virtual_sdcard] reports. */
  virtual_sdcard: {
    path: opt.optionalPath(),
  },
};

export const fileManager: ComponentDefinition<FileManager, typeof SECTIONS> = defineComponent({
  name: 'file_manager',
  sections: SECTIONS,
  moonrakerOnly: {
    file_manager: {
      queue_gcode_uploads: opt.bool(false),
      check_klipper_config_path: opt.bool(true),
      enable_inotify_warnings: opt.bool(true),
      enable_observer_warnings: opt.bool(true),
      file_system_observer: opt.string('inotify'),
      log_path: opt.optionalString(),
      default_metadata_parser_timeout: opt.optionalString(),
    },
  },
  create(k, options): ComponentInstance<FileManager> {
    const { printJob, printControl } = k.lookup(jobState);
    const files = new FileManager({
      fileManager: options.file_manager,
      gcodesPath: options.virtual_sdcard.path,
      klippy: k.klippy,
      database: k.database,
      paths: k.paths,
      embedded: k.embedded,
      // A file Klippy prints (or has paused) may not be deleted, moved or overwritten.
      printStats: {
        klippyReady: () => k.klippy.isReady,
        jobActive: () => printJob.jobActive,
        filename: () => printJob.job?.filename,
      },
      fsyncUploads: !k.unsafeUploadsWithoutFsync,
    });
    // Shaped per dialect: a spec-era client is told of changes in the 2020 form, or not at all.
    const notifications = merge(
      new Observable<Notification>((sub) =>
        files.changes$.subscribe((change) => sub.next({ method: NOTIFY.filelistChanged, paramsFor: (d) => wrap(filelistChangedParams(change, d)) })),
      ),
      new Observable<Notification>((sub) =>
        files.metadata$.subscribe(({ filename, metadata }) =>
          sub.next({ method: NOTIFY.metadataUpdate, paramsFor: (d) => wrap(metadataReply(filename, metadata, d)) }),
        ),
      ),
    );
    return {
      api: files,
      endpoints: fileEndpoints({ config: k.config, printControl }, files),
      notifications,
      start: () => files.start(),
      stop: () => files.close(),
    };
  },
});

const wrap = (params: unknown): unknown[] | undefined => (params === undefined ? undefined : [params]);
