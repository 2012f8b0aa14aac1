// Loads the components the config asks for, in list order, and runs their lifecycle: create,
// start (in order), stop (in reverse). It is the only place that decides whether a component
// is loaded and what happens when one fails: a core component's failure stops the server; an
// optional one's is reported (server.info failed_components, a warning) and the server runs on.
import { merge, type Observable } from 'rxjs';
import { getLogger } from '../logger.js';
import type { MoonstateConfig } from '../config/configSchema.js';
import type { AnyComponent, ApiOf, ComponentDefinition, ComponentInstance, Notification, SectionsOf, SectionsSchema } from './component.js';
import type { Kernel } from './kernel.js';
import type { Endpoint, RpcEndpoint } from '../transport/endpointRegistry.js';

const log = getLogger('components');

export type KernelBase = Omit<Kernel, 'lookup' | 'find' | 'components'>;

interface Running {
  def: AnyComponent;
  instance: ComponentInstance<unknown>;
}

export class ComponentHost {
  readonly kernel: Kernel;
  private readonly running: Running[] = [];
  private readonly apis = new Map<AnyComponent, unknown>();
  private readonly failed: string[] = [];

  constructor(base: KernelBase) {
    this.kernel = {
      ...base,
      lookup: <C extends AnyComponent>(c: C): ApiOf<C> => {
        if (!this.apis.has(c)) throw new Error(`component ${c.name} is not loaded (list it before the components that use it)`);
        return this.apis.get(c) as ApiOf<C>;
      },
      find: <C extends AnyComponent>(c: C): ApiOf<C> | undefined => this.apis.get(c) as ApiOf<C> | undefined,
      components: () => ({ loaded: this.running.filter((r) => !r.def.unlisted).map((r) => r.def.name), failed: [...this.failed] }),
    };
  }

  /** Whether the config asks for this component: core always; optional ones by their section. */
  wanted(def: AnyComponent): boolean {
    const config = this.kernel.config;
    return !def.optional || !config.hasConfigFile || Object.hasOwn(config.orig, def.name);
  }

  /** Creates every wanted component, in order. */
  load(defs: readonly AnyComponent[]): void {
    for (const def of defs) {
      if (!this.wanted(def)) continue;
      try {
        const options = sectionOptions(def, this.kernel.config);
        const instance = def.create(this.kernel, options) as ComponentInstance<unknown>;
        this.apis.set(def, instance.api);
        this.running.push({ def, instance });
      } catch (err) {
        this.fail(def, err);
      }
    }
  }

  /** Starts the created components in list order; an optional one that fails is dropped. */
  async start(): Promise<void> {
    for (const r of [...this.running]) {
      try {
        await r.instance.start?.();
      } catch (err) {
        this.running.splice(this.running.indexOf(r), 1);
        this.apis.delete(r.def);
        await Promise.resolve(r.instance.stop?.()).catch(() => undefined);
        this.fail(r.def, err);
      }
    }
  }

  /** The endpoints of every running component. */
  endpoints(): Endpoint[] {
    return this.running.flatMap((r) => r.instance.endpoints ?? []);
  }

  /** The run-time method lookups of the running components, asked in list order. */
  fallback(method: string): RpcEndpoint | undefined {
    for (const r of this.running) {
      const e = r.instance.fallback?.(method);
      if (e) return e;
    }
    return undefined;
  }

  /** Every running component's notifications, as one stream. */
  notifications(): Observable<Notification> {
    return merge(...this.running.flatMap((r) => (r.instance.notifications ? [r.instance.notifications] : [])));
  }

  /** Stops the running components in reverse order; one that fails to stop does not keep the others running. */
  async stop(): Promise<void> {
    for (const r of [...this.running].reverse()) {
      try {
        await r.instance.stop?.();
      } catch (err) {
        log.error(`component ${r.def.name} failed to stop: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
    this.running.length = 0;
  }

  private fail(def: AnyComponent, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    if (!def.optional) throw err;
    log.error(`component ${def.name} failed to load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    this.failed.push(def.name);
    this.kernel.config.warnings.push(`Component '${def.name}' failed to load: ${reason}. The server runs without it.`);
  }
}

/**
 * A component's typed options, as loadConfig parsed its sections. Throws when a section holds a
 * bad value (only an optional component's gets this far: a core one's stopped startup) or was
 * not parsed at all (a config loaded without the component list).
 */
export function sectionOptions<SS extends SectionsSchema>(def: ComponentDefinition<unknown, SS>, config: MoonstateConfig): SectionsOf<SS> {
  const out: Record<string, unknown> = {};
  for (const section of Object.keys(def.sections ?? {})) {
    const parsed = Object.hasOwn(config.componentSections, section) ? config.componentSections[section]! : undefined;
    if (parsed === undefined) throw new Error(`[${section}] was not read with the config: load it with loadServerConfig (src/server.ts)`);
    if ('error' in parsed) throw new Error(parsed.error);
    out[section] = parsed.values;
  }
  return out as SectionsOf<SS>;
}
