// A streaming multipart/form-data reader for uploads. File bytes are handed on as slices of the
// request's own chunks (no copying) and the boundary is found with Buffer.indexOf, which runs
// at memory speed: formidable's byte-wise parser held a 1 GiB upload to a quarter of dd's
// throughput (bench/results/files.md), this one leaves the disk as the limit.
import { badRequest, tooLarge, ServerError } from '../shared/errors.js';

export interface PartInfo {
  /** The form field name. */
  name: string;
  /** The filename parameter; undefined when the part is a plain field. */
  filename: string | undefined;
  contentType: string | undefined;
}

export interface MultipartHandlers {
  field(name: string, value: string): void;
  /**
   * A part with a filename (or named `file`) begins: return where its bytes go. `write`
   * returning false asks the reader to pause until `resume` is called.
   */
  fileBegin(part: PartInfo): { write(chunk: Buffer): boolean; end(): void };
}

export interface MultipartLimits {
  maxFileBytes: number;
  /** The error for a file over maxFileBytes, worded by the caller (which knows the limit's name). */
  fileTooLarge: () => ServerError;
  maxFields?: number;
  maxFieldBytes?: number;
  maxHeaderBytes?: number;
}

type State = 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'done';

export const malformed = (why: string) => badRequest(`Malformed upload: ${why}`);

/** The boundary of a multipart/form-data Content-Type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  return b && b.length <= 200 ? b : undefined;
}

/** Parameters of a Content-Disposition header value (name, filename, filename*). */
export function dispositionParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /;\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const m of value.matchAll(re)) {
    const key = m[1]!.toLowerCase();
    // The name comes from the client: `__proto__` would replace the record's prototype.
    if (key === '__proto__') continue;
    let v = m[2] !== undefined ? m[2].replace(/\\(["\\])/g, '$1') : m[3]!.trim();
    if (key === 'filename*') {
      const ext = /^([\w-]+)'[^']*'(.*)$/.exec(v);
      if (ext) {
        try {
          v = decodeURIComponent(ext[2]!);
        } catch {
          continue;
        }
      }
    }
    out[key] = v;
  }
  return out;
}

export class MultipartReader {
  private state: State = 'preamble';
  private readonly delimiter: Buffer;
  /** Bytes held back at a chunk's end: they may begin a delimiter. */
  private carry: Buffer;
  /** Small bytes gathered across chunks for the header and after-delimiter states. */
  private pending: Buffer = Buffer.alloc(0);
  private part: PartInfo | undefined;
  private sink: { write(chunk: Buffer): boolean; end(): void } | undefined;
  private fieldChunks: Buffer[] = [];
  private fieldBytes = 0;
  private fields = 0;
  private fileBytes = 0;
  private readonly limits: Required<MultipartLimits>;

  constructor(
    boundary: string,
    private readonly handlers: MultipartHandlers,
    limits: MultipartLimits,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    // The first delimiter has no CRLF before it: pretend there was one.
    this.carry = Buffer.from('\r\n');
    this.limits = { maxFields: 32, maxFieldBytes: 64 * 1024, maxHeaderBytes: 16 * 1024, ...limits };
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  /** Feeds a chunk; false when the current file's sink wants a pause. Throws ServerError. */
  write(chunk: Buffer): boolean {
    let data = chunk;
    let ok = true;
    while (data.length > 0 && this.state !== 'done') {
      if (this.state === 'preamble' || this.state === 'body') {
        const r = this.scanBody(data);
        ok = r.ok && ok;
        data = r.rest;
      } else {
        data = this.scanSmall(data);
      }
    }
    return ok;
  }

  /** The request ended: anything but a finished body is malformed. */
  end(): void {
    if (this.state !== 'done') throw malformed('the body ended before the closing boundary');
  }

  private emit(bytes: Buffer): boolean {
    if (bytes.length === 0 || this.state === 'preamble') return true;
    if (this.sink) {
      this.fileBytes += bytes.length;
      if (this.fileBytes > this.limits.maxFileBytes) throw this.limits.fileTooLarge();
      return this.sink.write(bytes);
    }
    this.fieldBytes += bytes.length;
    if (this.fieldBytes > this.limits.maxFieldBytes) throw tooLarge('Upload form fields too large');
    this.fieldChunks.push(Buffer.from(bytes));
    return true;
  }

  private endPart(): void {
    if (this.state === 'preamble' || !this.part) return;
    if (this.sink) {
      this.sink.end();
      this.sink = undefined;
    } else {
      this.handlers.field(this.part.name, Buffer.concat(this.fieldChunks).toString('utf8'));
      this.fieldChunks = [];
    }
    this.part = undefined;
  }

  /** Body (or preamble) bytes: everything up to the next delimiter. */
  private scanBody(chunk: Buffer): { ok: boolean; rest: Buffer } {
    let data = chunk;
    const d = this.delimiter;
    let ok = true;
    if (this.carry.length > 0 && data.length < d.length) {
      // Too little to decide about the held-back bytes: search them together.
      data = Buffer.concat([this.carry, data]);
      this.carry = Buffer.alloc(0);
    }
    if (this.carry.length > 0) {
      // A delimiter may straddle the held-back bytes and this chunk.
      const window = Buffer.concat([this.carry, data.subarray(0, d.length - 1)]);
      const at = window.indexOf(d);
      if (at >= 0 && at < this.carry.length) {
        ok = this.emit(this.carry.subarray(0, at));
        const used = at + d.length - this.carry.length;
        this.carry = Buffer.alloc(0);
        this.endPart();
        this.state = 'afterDelimiter';
        return { ok, rest: data.subarray(used) };
      }
      ok = this.emit(this.carry);
      this.carry = Buffer.alloc(0);
    }
    const at = data.indexOf(d);
    if (at >= 0) {
      ok = this.emit(data.subarray(0, at)) && ok;
      this.endPart();
      this.state = 'afterDelimiter';
      return { ok, rest: data.subarray(at + d.length) };
    }
    // Hold back what could be the start of a delimiter.
    const keep = Math.min(d.length - 1, data.length);
    ok = this.emit(data.subarray(0, data.length - keep)) && ok;
    this.carry = Buffer.from(data.subarray(data.length - keep));
    return { ok, rest: Buffer.alloc(0) };
  }

  /** After a delimiter ("--" ends the body, CRLF starts a part) and the part's headers. */
  private scanSmall(data: Buffer): Buffer {
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    if (this.state === 'afterDelimiter') {
      if (this.pending.length < 2) return this.keepPending();
      if (this.pending[0] === 0x2d && this.pending[1] === 0x2d) {
        this.state = 'done';
        this.pending = Buffer.alloc(0);
        return Buffer.alloc(0);
      }
      // Transport padding (spaces, tabs) may come before the CRLF.
      let i = 0;
      while (i < this.pending.length && (this.pending[i] === 0x20 || this.pending[i] === 0x09)) i++;
      if (this.pending.length < i + 2) return this.keepPending();
      if (this.pending[i] !== 0x0d || this.pending[i + 1] !== 0x0a) throw malformed('bad boundary line');
      this.pending = this.pending.subarray(i + 2);
      this.state = 'headers';
    }
    const end = this.pending.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.pending.length > this.limits.maxHeaderBytes) throw malformed('part headers too long');
      return this.keepPending();
    }
    this.beginPart(this.pending.subarray(0, end).toString('utf8'));
    const rest = this.pending.subarray(end + 4);
    this.pending = Buffer.alloc(0);
    this.state = 'body';
    return rest;
  }

  private keepPending(): Buffer {
    this.pending = Buffer.from(this.pending);
    return Buffer.alloc(0);
  }

  private beginPart(headerText: string): void {
    const headers = new Map<string, string>();
    for (const line of headerText.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const disp = headers.get('content-disposition');
    if (!disp || !/^form-data\b/i.test(disp)) throw malformed('a part without Content-Disposition: form-data');
    const params = dispositionParams(disp);
    if (params.name === undefined) throw malformed('a part without a name');
    const filename = params['filename*'] ?? params.filename;
    this.part = { name: params.name, filename, contentType: headers.get('content-type') };
    if (filename !== undefined || params.name === 'file') {
      this.sink = this.handlers.fileBegin(this.part);
    } else {
      if (++this.fields > this.limits.maxFields) throw tooLarge('Upload form has too many fields');
      this.fieldChunks = [];
    }
  }
}
