// The server.files namespace: the spec's listing, metadata, folders, move/copy, delete, and the
// HTTP-only download, delete and upload, with today's roots, metascan and thumbnails. Replies are
// shaped by fileReplies.ts for the caller's dialect; every path a client names is resolved
// by src/fs against its root.
import { download, rpc, upload, type Endpoint } from '../../transport/endpointRegistry.js';
import { param } from '../../transport/params.js';
import { invalidParams, notFound } from '../../shared/errors.js';
import { logSink } from '../../logger.js';
import type { FileManager } from '../../fs/fileManager.js';
import { deleteReply, directoryReply, listEntry, metadataReply, mutationReply, rootsReply, thumbnailsReply, uploadReply, zipReply } from './fileReplies.js';
import { handleUpload } from '../../fs/upload.js';
import { openOwnFile } from '../../fs/openFile.js';
import type { UploadResult, UploadSource } from '../../shared/fileTransfer.js';
import type { RequestContext } from '../../transport/requestContext.js';
import type { MoonstateConfig } from '../../config/configSchema.js';
import type { PrintControl } from '../job_state/printControl.js';

/** What an upload needs besides the file manager: the size limit, and print control for print=true. */
export interface UploadDeps {
  config: MoonstateConfig;
  printControl: PrintControl;
}

/** The upload handler: server.files.upload's, and octoprint_compat's /api/files/local. */
export function uploadReceiver(s: UploadDeps, files: FileManager): (source: UploadSource, ctx: RequestContext) => Promise<UploadResult> {
  return async (source, ctx) => {
    const { change, printStarted } = await handleUpload(source, {
      files,
      startPrint: async (rel) => {
        // With object processing the file is rewritten after its upload: print it once that is
        // done (as Moonraker), not the version about to be replaced.
        if (files.processesObjects) await files.fileMetadata(rel).catch(() => undefined);
        return s.printControl.startIfIdle(rel);
      },
      maxBytes: s.config.server.max_upload_size * 1024 * 1024,
      durable: files.fsyncUploads,
    });
    return uploadReply(change, printStarted, ctx.dialect);
  };
}

export function fileEndpoints(s: UploadDeps, files: FileManager): Endpoint[] {
  const receive = uploadReceiver(s, files);
  return [
    rpc({
      method: 'server.files.list',
      description: 'Every file of a root, walking subfolders (gcodes: gcode files only)',
      http: { verbs: ['GET'], path: '/server/files/list' },
      params: { root: param.string({ default: 'gcodes' }) },
      handler: async ({ root }, ctx) => {
        const list = await files.list(root);
        // Shaped in slices so ten thousand files never hold the event loop for long.
        const out = [];
        for (let i = 0; i < list.files.length; i += 2000) {
          if (i > 0) await new Promise((r) => setImmediate(r));
          for (const f of list.files.slice(i, i + 2000)) out.push(listEntry(f.path, f, list.root.writable, ctx.dialect));
        }
        return out;
      },
    }),
    rpc({
      method: 'server.files.roots',
      description: 'The roots clients can reach, with their paths and permissions',
      http: { verbs: ['GET'], path: '/server/files/roots' },
      params: {},
      handler: () => rootsReply(files.roots.available()),
    }),
    rpc({
      method: 'server.files.metadata',
      description: "A gcode file's slicer metadata and thumbnails",
      http: { verbs: ['GET'], path: '/server/files/metadata' },
      params: { filename: param.string({ required: true }) },
      handler: async ({ filename }, ctx) => {
        const { filename: rel, ...meta } = await files.fileMetadata(filename);
        return metadataReply(rel, meta, ctx.dialect);
      },
    }),
    rpc({
      method: 'server.files.metascan',
      description: "Parse a gcode file's metadata again and return it",
      http: { verbs: ['GET', 'POST'], path: '/server/files/metascan' },
      params: { filename: param.string({ required: true }) },
      handler: async ({ filename }, ctx) => {
        const { filename: rel, ...meta } = await files.metascan(filename);
        return metadataReply(rel, meta, ctx.dialect);
      },
    }),
    rpc({
      method: 'server.files.thumbnails',
      description: "A gcode file's thumbnail files, named from the gcodes root",
      http: { verbs: ['GET'], path: '/server/files/thumbnails' },
      params: { filename: param.string({ required: true }) },
      handler: async ({ filename }) => {
        const { rel, metadata } = await files.cachedFileMetadata(filename);
        return thumbnailsReply(rel, metadata);
      },
    }),
    rpc({
      method: 'server.files.get_directory',
      description: 'Files and folders directly in a folder (extended: with cached gcode metadata)',
      http: { verbs: ['GET'], path: '/server/files/directory' },
      params: { path: param.string({ default: 'gcodes' }), extended: param.boolean({ default: false }) },
      handler: async ({ path, extended }, ctx) => directoryReply(await files.directory(path, extended), ctx.dialect),
    }),
    rpc({
      method: 'server.files.post_directory',
      description: 'Create a folder',
      http: { verbs: ['POST'], path: '/server/files/directory' },
      params: { path: param.string({ required: true }) },
      handler: async ({ path }, ctx) => mutationReply(await files.makeDirectory(path), ctx.dialect),
    }),
    rpc({
      method: 'server.files.delete_directory',
      description: 'Delete a folder (force=true: with its contents)',
      http: { verbs: ['DELETE'], path: '/server/files/directory' },
      params: { path: param.string({ required: true }), force: param.boolean({ default: false }) },
      handler: async ({ path, force }, ctx) => mutationReply(await files.deleteDirectory(path, force), ctx.dialect),
    }),
    rpc({
      method: 'server.files.move',
      description: 'Move or rename a file or folder',
      http: { verbs: ['POST'], path: '/server/files/move' },
      params: { source: param.string({ required: true }), dest: param.string({ required: true }) },
      handler: async ({ source, dest }, ctx) => mutationReply(await files.move(source, dest), ctx.dialect),
    }),
    rpc({
      method: 'server.files.copy',
      description: 'Copy a file or folder',
      http: { verbs: ['POST'], path: '/server/files/copy' },
      params: { source: param.string({ required: true }), dest: param.string({ required: true }) },
      handler: async ({ source, dest }, ctx) => mutationReply(await files.copy(source, dest), ctx.dialect),
    }),
    rpc({
      method: 'server.files.zip',
      description: 'Zip files and folders ("root/path" items) into an archive (dest, default config/collection-<time>.zip)',
      http: { verbs: ['POST'], path: '/server/files/zip' },
      params: {
        items: param.any({ required: true }),
        dest: param.string(),
        store_only: param.boolean({ default: false }),
      },
      handler: async ({ items, dest, store_only }) => zipReply(await files.zip(zipItems(items), dest, store_only)),
    }),
    rpc({
      method: 'server.files.delete_file',
      description: 'Delete a file ("gcodes/sub/x.gcode")',
      params: { path: param.string({ required: true }) },
      handler: async ({ path }, ctx) => deleteReply(await files.deleteFile(path), ctx.dialect),
    }),
    upload({
      method: 'server.files.upload',
      description: 'Upload a file (multipart: file, root, path, print, checksum)',
      http: { verbs: ['POST'], path: '/server/files/upload' },
      handler: receive,
    }),
    download({
      method: 'server.files.klippy_log',
      description: "Klippy's log file",
      http: { verbs: ['GET'], path: '/server/files/klippy.log' },
      params: {},
      handler: () => openOwnFile(files.klippyLogFile, 'klippy.log'),
    }),
    download({
      method: 'server.files.moonraker_log',
      description: "This server's log file",
      http: { verbs: ['GET'], path: '/server/files/moonraker.log' },
      params: {},
      handler: () => openOwnFile(logSink.logFile, 'moonraker.log'),
    }),
    download({
      method: 'server.files.download',
      description: 'Download a file of a root',
      http: { verbs: ['GET'], path: '/server/files/:root/*path' },
      params: { root: param.string({ required: true }), path: param.string({ default: '' }) },
      handler: async ({ root, path }) => {
        // A URL under a root that does not exist names no file: 404 as in Moonraker, where the
        // other file endpoints call an unknown root a bad parameter (400).
        if (!files.roots.has(root)) throw notFound(`File does not exist (${root}/${path})`);
        return files.openToSend(root, path);
      },
    }),
    rpc({
      method: 'server.files.http_delete',
      description: 'Delete a file of a root',
      http: { verbs: ['DELETE'], path: '/server/files/:root/*path' },
      websocket: false,
      params: { root: param.string({ required: true }), path: param.string({ default: '' }) },
      handler: async ({ root, path }, ctx) => deleteReply(await files.deleteFileIn(root, path), ctx.dialect),
    }),
  ];
}

/** The zip's items: a JSON list of strings, or (from a query string) one comma-separated string. */
function zipItems(items: unknown): string[] {
  const list = typeof items === 'string' ? items.split(',') : items;
  if (!Array.isArray(list) || !list.every((i) => typeof i === 'string')) {
    throw invalidParams('Invalid argument "items": a list of "root/path" strings');
  }
  return list.map((i) => i.trim()).filter((i) => i !== '');
}
