// The recent console behind server.gcode_store: every gcode response from Klippy and every
// command sent through our gcode endpoint, with its Unix time, in a fixed-size ring.
import type { Subscription } from 'rxjs';
import type { KlippyConnection } from '../../actors/klippyConnection.actor.js';
import { RingBuffer } from '../../util/ringBuffer.js';

export interface GcodeStoreEntry {
  message: string;
  time: number;
  type: 'command' | 'response';
}

export class GcodeStore {
  private readonly ring: RingBuffer<GcodeStoreEntry>;
  private readonly sub: Subscription;

  constructor(
    klippy: KlippyConnection,
    size: number,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.ring = new RingBuffer(size);
    this.sub = klippy.gcode$.subscribe((line) => this.ring.push({ message: line, time: this.now(), type: 'response' }));
  }

  recordCommand(script: string): void {
    this.ring.push({ message: script, time: this.now(), type: 'command' });
  }

  /** Oldest first; the newest `count` when given. */
  entries(count?: number): GcodeStoreEntry[] {
    return count === undefined ? this.ring.toArray() : this.ring.last(count);
  }

  stop(): void {
    this.sub.unsubscribe();
  }
}
