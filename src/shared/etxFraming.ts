// Klippy's socket protocol: each message is one JSON object followed by the byte 0x03 (ETX).
// Both ends of the socket (our client and the virtual Klippy) frame with this one module.

export const ETX = 0x03;

/** Serialises one message as Klippy does: compact JSON, then ETX. */
export function encodeFrame(message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const out = Buffer.allocUnsafe(json.length + 1);
  json.copy(out, 0);
  out[json.length] = ETX;
  return out;
}

export class FrameTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`frame exceeds ${limit} bytes without a terminator`);
  }
}

/**
 * Splits a byte stream into frames. Chunks may end anywhere, including inside a multi-byte
 * UTF-8 character, so the unfinished tail is kept as bytes and decoded only once whole.
 * A tail that grows past `maxFrameBytes` means the peer is not speaking the protocol; we refuse
 * to buffer without bound (Moonraker's stream limit is 20 MiB for the same reason).
 */
export class EtxDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameBytes = 20 * 1024 * 1024) {}

  /** Returns the complete frames in `chunk`, as UTF-8 strings, without their terminator. */
  push(chunk: Buffer): string[] {
    const frames: string[] = [];
    let start = 0;
    let idx = chunk.indexOf(ETX, start);
    while (idx !== -1) {
      const part = chunk.subarray(start, idx);
      if (this.pendingBytes > 0) {
        this.pending.push(part);
        frames.push(Buffer.concat(this.pending, this.pendingBytes + part.length).toString('utf8'));
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        frames.push(part.toString('utf8'));
      }
      start = idx + 1;
      idx = chunk.indexOf(ETX, start);
    }
    if (start < chunk.length) {
      const tail = chunk.subarray(start);
      this.pendingBytes += tail.length;
      if (this.pendingBytes > this.maxFrameBytes) {
        this.pending = [];
        this.pendingBytes = 0;
        throw new FrameTooLargeError(this.maxFrameBytes);
      }
      // Copy: the socket may reuse the chunk's memory.
      this.pending.push(Buffer.from(tail));
    }
    return frames;
  }

  get bufferedBytes(): number {
    return this.pendingBytes;
  }
}
