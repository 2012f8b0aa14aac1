// Resolves a client's gcode filename inside the gcodes root, refusing anything that would
// leave it, and checks that the file exists.
import { stat } from 'node:fs/promises';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { ApiError } from '../transport/apiError.js';

export function gcodeResolver(root: () => string) {
  return async (filename: string): Promise<string> => {
    const name = filename.replace(/^\/+/, '').replace(/^gcodes\//, '');
    if (name === '' || name.includes('\0') || isAbsolute(name)) throw new ApiError(400, `Invalid file name: ${filename}`);
    const base = resolve(root());
    const full = resolve(base, normalize(name));
    const rel = relative(base, full);
    if (rel === '' || rel.split(sep).includes('..') || isAbsolute(rel)) throw new ApiError(400, `Invalid file name: ${filename}`);
    const st = await stat(full).catch(() => undefined);
    if (!st?.isFile()) throw new ApiError(404, `File ${name} does not exist`);
    return rel.split(sep).join('/');
  };
}
