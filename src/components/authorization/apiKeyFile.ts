// The API key and the file that keeps it across restarts (`[authorization] api_key_file`).
// Created with a random key on first start, readable by the owner only (0600). A new key
// replaces the file atomically (temp file, fsync, rename, fsync of the folder), so a crash
// leaves either the old key or the new one, never half of one; the new key is in force the
// moment the file holds it. Every key this process has held is redacted from the log.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { getLogger, logSink } from '../../logger.js';

const log = getLogger('authorization');

/** 32 lowercase hex characters, the shape of Moonraker's (uuid4 hex) keys. */
export function newApiKey(): string {
  return randomBytes(16).toString('hex');
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function fsyncDirSync(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* some file systems cannot sync a folder; the rename itself is still atomic */
  }
}

function writeKeyFileSync(path: string, key: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${key}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  fsyncDirSync(dirname(path));
}

async function writeKeyFile(path: string, key: string): Promise<void> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${key}\n`);
    await fh.chmod(0o600);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  fsyncDirSync(dirname(path));
}

export class ApiKeyStore {
  private key: string;
  /** Rotations run one at a time, so the file and the key in force never disagree. */
  private rotation: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    key: string,
  ) {
    this.key = key;
    logSink.redact(key);
  }

  /** Reads the key file, or creates it with a new key when it is missing or empty. */
  static openSync(path: string): ApiKeyStore {
    let existing = '';
    try {
      existing = readFileSync(path, 'utf8').trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (existing !== '') {
      try {
        chmodSync(path, 0o600);
      } catch (err) {
        log.warn(`cannot restrict ${path} to its owner: ${(err as Error).message}`);
      }
      return new ApiKeyStore(path, existing);
    }
    const key = newApiKey();
    writeKeyFileSync(path, key);
    log.info(`created a new API key in ${path}`);
    return new ApiKeyStore(path, key);
  }

  get current(): string {
    return this.key;
  }

  /** Makes, stores and returns a new key; the old one stops working when this resolves. */
  rotate(): Promise<string> {
    const next = this.rotation.then(async () => {
      const key = newApiKey();
      logSink.redact(key);
      await writeKeyFile(this.path, key);
      this.key = key;
      log.info('the API key was replaced');
      return key;
    });
    this.rotation = next.catch(() => {});
    return next;
  }
}
