// The component contract: what one of Moonraker's components (history, job_queue, webcam, ...)
// is in moonstate. A component is one folder under src/components/ whose index.ts exports a
// definition made with `defineComponent`; src/components/index.ts lists them in load order, and
// src/server.ts only walks that list. A component never touches HTTP or JSON-RPC: it declares
// endpoints (transport serves them on every transport), emits notifications (transport frames
// and sends them), and gets everything else from the kernel.
import type { Observable } from 'rxjs';
import type { Endpoint, RpcEndpoint } from '../transport/endpointRegistry.js';
import type { NotificationMethod } from '../shared/notifications.js';
import type { Dialect } from '../shared/dialect.js';
import type { OptionSpec } from '../config/options.js';
import type { Kernel } from './kernel.js';

/**
 * A notification to every connected client. `params` is either the value list itself or, when
 * the shape depends on the client's dialect, a function of it (undefined: that dialect is not
 * told); transport shapes it once per dialect in use.
 */
export type Notification =
  | { method: NotificationMethod; params?: unknown[] }
  | { method: NotificationMethod; paramsFor: (dialect: Dialect) => unknown[] | undefined };

/** What a running component contributes. Every part is optional. */
export interface ComponentInstance<Api = undefined> {
  /** What other components may use (kernel.lookup). */
  api?: Api;
  endpoints?: Endpoint[];
  /** Methods known only at run time (Klippy's own endpoints): asked when no declared one matches. */
  fallback?: (method: string) => RpcEndpoint | undefined;
  notifications?: Observable<Notification>;
  /** Called once every component is created, in list order (listeners before sources). */
  start?(): void | Promise<void>;
  /** Called in reverse list order when the server stops. */
  stop?(): void | Promise<void>;
}

export type OptionsSchema = Record<string, OptionSpec<unknown>>;
export type OptionsOf<S extends OptionsSchema> = { [O in keyof S]: S[O] extends OptionSpec<infer T> ? T : never };
/** The config sections a component reads, each with its options: `{ job_queue: { load_on_startup: opt.bool(false), ... } }`. */
export type SectionsSchema = Record<string, OptionsSchema>;
export type SectionsOf<SS extends SectionsSchema> = { [S in keyof SS]: OptionsOf<SS[S]> };

export interface ComponentDefinition<Api = undefined, SS extends SectionsSchema = SectionsSchema> {
  /** Moonraker's name for it: what server.info lists in `components` or `failed_components`. */
  readonly name: string;
  /**
   * Core components always load, and one that fails stops the server (Moonraker's core). An
   * optional one loads when its section (`[name]`) is in the config, or when there is no config
   * file at all (the embedded printer shows everything); if it fails, the server runs on without
   * it and reports it in failed_components and a warning.
   */
  readonly optional?: boolean;
  /** Not listed in server.info (moonstate's own parts that Moonraker has no name for). */
  readonly unlisted?: boolean;
  /**
   * The config sections it reads (usually just `[name]`; the file manager also reads
   * `[virtual_sdcard]`), each with its options. loadConfig parses them with the kernel's own
   * sections: a bad value in a core component's section stops startup naming file, line,
   * section and option; in an optional one's, that component fails. Options nobody declares
   * are warned about. server.config shows the typed values.
   */
  readonly sections?: SS;
  /**
   * Options Moonraker reads in these sections that change nothing here, by section: accepted
   * without a warning and typed with Moonraker's defaults in server.config (clients read them
   * there: "False" must not be a true string); not passed to create.
   */
  readonly moonrakerOnly?: Readonly<Record<string, OptionsSchema>>;
  /** `options` holds the typed values of `sections`, defaults filled in: `options.job_queue.load_on_startup`. */
  create(kernel: Kernel, options: SectionsOf<SS>): ComponentInstance<Api>;
}

/** Declares a component; the types of its api and options follow from `create` and `sections`. */
export function defineComponent<Api = undefined, SS extends SectionsSchema = SectionsSchema>(
  def: ComponentDefinition<Api, SS>,
): ComponentDefinition<Api, SS> {
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyComponent = ComponentDefinition<any, any>;
export type ApiOf<C> = C extends ComponentDefinition<infer A, infer _S> ? A : never;
