// The shapes of Klippy's unix-socket API (../shared/reference/klippy-protocol.md, section 1).
// Shared by the server's socket actor and the virtual Klippy so the two cannot drift apart.

export type JsonObject = { [key: string]: unknown };

/** Klippy's lifecycle as reported by `info` and the `webhooks` object. */
export type KlippyState = 'startup' | 'ready' | 'error' | 'shutdown';
export const KLIPPY_STATES: readonly KlippyState[] = ['startup', 'ready', 'error', 'shutdown'];

export function isKlippyState(v: unknown): v is KlippyState {
  return typeof v === 'string' && (KLIPPY_STATES as readonly string[]).includes(v);
}

export interface KlippyRequest {
  id?: unknown;
  method: string;
  params?: JsonObject;
}

export interface KlippyErrorBody {
  error: string;
  message: string;
}

export type KlippyReply =
  | { id: unknown; result: JsonObject }
  | { id: unknown; error: KlippyErrorBody };

/**
 * Which objects, and which of their fields, a query or subscription asks for.
 * `null` means every field the object has.
 */
export type ObjectSelection = Record<string, string[] | null>;

/** `objects/query` and `objects/subscribe` replies; also the params of a status update. */
export interface StatusReply {
  eventtime: number;
  status: Record<string, JsonObject>;
}

/** Moonraker's templates for Klippy's asynchronous messages. */
export const STATUS_UPDATE_METHOD = 'process_status_update';
export const GCODE_RESPONSE_METHOD = 'process_gcode_response';

/** The `info` reply (seed-era fields, plus the ones today's Klippy adds). */
export interface KlippyInfo extends JsonObject {
  state: KlippyState;
  state_message: string;
  hostname: string;
  klipper_path: string;
  python_path: string;
  log_file: string;
  config_file: string;
  software_version: string;
  cpu_info: string;
}
