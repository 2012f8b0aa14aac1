// What every printer object shares with Klippy's: a get_status(eventtime) that returns plain
// JSON. Values must be fresh on each call (never a reference to live state), because the
// subscription helper keeps last tick's values to diff against.

import type { JsonObject } from '../shared/klippyProtocol.js';

export interface StatusSource {
  getStatus(eventtime: number): JsonObject;
}

/** Klippy's Coord namedtuple serialises as a 4-element array. */
export type Coord = [number, number, number, number];
