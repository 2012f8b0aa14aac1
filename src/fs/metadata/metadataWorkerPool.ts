// Runs metadata extraction in one worker thread, one file at a time, so parsing never holds up
// the event loop. Requests queue in order (the same file asked twice shares one job); a file
// that takes longer than the time limit has its worker replaced and gets slicer "Unknown".
import { Worker } from 'node:worker_threads';
import { getLogger } from '../../logger.js';
import type { WorkerReply, WorkerRequest, WorkerResult } from './metadataWorker.js';

const log = getLogger('metadata');

/** Moonraker's default_metadata_parser_timeout. */
const DEFAULT_TIMEOUT_MS = 20_000;
/** With object processing the whole file is read twice and written once: Moonraker's 300 s then. */
export const OBJECT_PROCESSING_TIMEOUT_MS = 300_000;

interface Job {
  path: string;
  root: string;
  promise: Promise<WorkerResult>;
  resolve: (r: WorkerResult) => void;
  reject: (e: Error) => void;
}

export class MetadataFileError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

function startWorker(): Worker {
  const url = new URL('./metadataWorker.js', import.meta.url);
  if (import.meta.url.endsWith('.ts')) {
    // Running from source under tsx: workers do not inherit its loader, so register it first.
    const ts = new URL('./metadataWorker.ts', import.meta.url).href;
    const api = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`;
    return new Worker(code, { eval: true });
  }
  return new Worker(url);
}

export class MetadataWorkerPool {
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  private readonly byPath = new Map<string, Job>();
  private current: (Job & { id: number; timer: NodeJS.Timeout }) | undefined;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
    /** [file_manager] enable_object_processing. */
    private readonly processObjects = false,
  ) {}

  /** Extracts the metadata of the file at `path` (absolute), in the root at `root`. */
  parse(path: string, root: string): Promise<WorkerResult> {
    if (this.closed) return Promise.reject(new Error('metadata worker closed'));
    const existing = this.byPath.get(path);
    if (existing) return existing.promise;
    let resolve!: (r: WorkerResult) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<WorkerResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { path, root, promise, resolve, reject };
    this.byPath.set(path, job);
    this.queue.push(job);
    this.pump();
    return promise;
  }

  get pending(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker();
    w.unref();
    w.on('message', (msg: WorkerReply) => this.onReply(msg));
    w.on('error', (err) => {
      log.error(`metadata worker failed: ${err.message}`);
      this.replaceWorker(err);
    });
    w.on('exit', (code) => {
      if (this.worker === w && !this.closed) {
        this.worker = undefined;
        if (this.current) this.finish(this.current, undefined, new Error(`metadata worker exited (${code})`));
      }
    });
    this.worker = w;
    return w;
  }

  private replaceWorker(reason: Error): void {
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
    if (this.current) this.finish(this.current, undefined, reason);
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    const id = this.nextId++;
    const timer = setTimeout(() => {
      log.warn(`metadata of ${job.path} took longer than ${this.timeoutMs} ms; giving up on it`);
      const cur = this.current;
      this.replaceWorkerQuietly();
      if (cur) this.finish(cur, undefined, new MetadataFileError(`metadata parser timed out after ${this.timeoutMs} ms`, 'ETIMEDOUT'));
    }, this.timeoutMs);
    timer.unref();
    this.current = { ...job, id, timer };
    this.ensureWorker().postMessage({ id, path: job.path, root: job.root, processObjects: this.processObjects } satisfies WorkerRequest);
  }

  private replaceWorkerQuietly(): void {
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
  }

  private onReply(msg: WorkerReply): void {
    const cur = this.current;
    if (!cur || cur.id !== msg.id) return;
    if ('result' in msg) this.finish(cur, msg.result);
    else this.finish(cur, undefined, new MetadataFileError(msg.error, msg.code));
  }

  private finish(job: Job & { timer: NodeJS.Timeout }, result: WorkerResult | undefined, err?: Error): void {
    clearTimeout(job.timer);
    if (this.current === job) this.current = undefined;
    this.byPath.delete(job.path);
    if (result) job.resolve(result);
    else job.reject(err ?? new Error('metadata failed'));
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    const err = new Error('metadata worker closed');
    for (const job of this.queue.splice(0)) job.reject(err);
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.reject(err);
      this.current = undefined;
    }
    this.byPath.clear();
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
