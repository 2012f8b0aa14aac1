// HTTP helpers for file tests: raw requests whose path is sent exactly as written (fetch would
// normalise "/../"), and multipart uploads built by hand so a test controls field order,
// filenames and broken bodies.
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string | number> = {}, body?: Buffer | string): Promise<RawReply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export interface Part {
  name: string;
  value: string | Buffer;
  /** Present for file parts; `null` sends a file part without a filename. */
  filename?: string | null;
}

export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = '----moonstate' + randomBytes(8).toString('hex');
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let disp = `form-data; name="${p.name}"`;
    if (p.filename !== undefined) disp += p.filename === null ? '' : `; filename="${p.filename}"`;
    const type = p.filename !== undefined ? 'Content-Type: application/octet-stream\r\n' : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}\r\n${type}\r\n`));
    chunks.push(Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface UploadArgs {
  filename: string | null;
  content: string | Buffer;
  root?: string;
  path?: string;
  print?: string;
  checksum?: string;
  /** Put the form fields after the file part (default: before). */
  fieldsLast?: boolean;
}

export function upload(baseUrl: string, args: UploadArgs): Promise<RawReply> {
  const fields: Part[] = [];
  if (args.root !== undefined) fields.push({ name: 'root', value: args.root });
  if (args.path !== undefined) fields.push({ name: 'path', value: args.path });
  if (args.print !== undefined) fields.push({ name: 'print', value: args.print });
  if (args.checksum !== undefined) fields.push({ name: 'checksum', value: args.checksum });
  const file: Part = { name: 'file', value: args.content, filename: args.filename };
  const { body, contentType } = multipart(args.fieldsLast ? [file, ...fields] : [...fields, file]);
  return rawRequest(baseUrl, 'POST', '/server/files/upload', { 'content-type': contentType, 'content-length': body.length }, body);
}

/** Polls until `fn` returns true (or throws on timeout). */
export async function eventually(fn: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
