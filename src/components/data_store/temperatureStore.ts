// The temperature history behind server.temperature_store: once a second, for each sensor
// Klippy lists in heaters.available_sensors (and available_monitors), record the last known
// temperature and target (and power/speed where the sensor has them) into fixed-size rings.
// Sampling is an RxJS stream that runs only while Klippy is ready. The rings start empty and
// grow one sample a second, as the spec's server really did (its doc said "filled with 0s").
import { EMPTY, interval, switchMap, type Observable, type Subscription } from 'rxjs';
import type { KlippyConnection } from '../../actors/klippyConnection.actor.js';
import type { StatusSubscriptions } from '../../actors/statusSubscriptions.actor.js';
import { RingBuffer } from '../../util/ringBuffer.js';
import type { JsonObject, ObjectSelection } from '../../shared/klippyProtocol.js';

const FIELDS = ['temperature', 'target', 'power', 'speed'] as const;
const REPLY_KEYS = { temperature: 'temperatures', target: 'targets', power: 'powers', speed: 'speeds' } as const;
type Field = (typeof FIELDS)[number];

interface SensorHistory {
  monitor: boolean;
  rings: Partial<Record<Field, RingBuffer<number | null>>>;
}

const round2 = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 100) / 100 : null);

export interface TemperatureStoreOptions {
  size: number;
  /** The sampling clock; tests pass their own stream instead of waiting real seconds. */
  ticks$?: Observable<unknown>;
}

export class TemperatureStore {
  private readonly sensors = new Map<string, SensorHistory>();
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly klippy: KlippyConnection,
    private readonly subscriptions: StatusSubscriptions,
    private readonly opts: TemperatureStoreOptions,
  ) {}

  start(): void {
    // Which sensors exist is only known from Klippy; re-read it whenever the list changes.
    this.subscriptions.watch('host:heaters', { heaters: ['available_sensors', 'available_monitors'] }, (diff) => {
      if (diff.heaters) this.onSensorList(this.subscriptions.current('heaters') ?? {});
    });
    const ticks$ = this.opts.ticks$ ?? interval(1000);
    this.subs.push(
      this.klippy.state$.pipe(switchMap((state) => (state === 'ready' ? ticks$ : EMPTY))).subscribe(() => this.sample()),
    );
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subscriptions.unsubscribe('host:heaters');
    this.subscriptions.unsubscribe('host:temperatures');
  }

  private onSensorList(heaters: JsonObject): void {
    const names = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    const sensors = names(heaters.available_sensors);
    const monitors = names(heaters.available_monitors).filter((m) => !sensors.includes(m));
    const wanted = new Map<string, boolean>([...sensors.map((s) => [s, false] as const), ...monitors.map((m) => [m, true] as const)]);
    for (const name of [...this.sensors.keys()]) if (!wanted.has(name)) this.sensors.delete(name);
    for (const [name, monitor] of wanted) {
      const existing = this.sensors.get(name);
      if (existing) existing.monitor = monitor;
      else this.sensors.set(name, { monitor, rings: {} });
    }
    const selection: ObjectSelection = {};
    for (const name of wanted.keys()) selection[name] = [...FIELDS];
    // The first status says which series a sensor has: clients read `targets` and `powers`
    // from the first reply on, so those keys exist (empty) before the first sample.
    this.subscriptions.watch('host:temperatures', selection, (diff) => {
      for (const name of Object.keys(diff)) {
        const history = this.sensors.get(name);
        if (history) this.ringsFor(history, this.subscriptions.current(name) ?? {});
      }
    });
  }

  private ringsFor(history: SensorHistory, status: JsonObject): Array<[Field, RingBuffer<number | null>]> {
    const out: Array<[Field, RingBuffer<number | null>]> = [];
    for (const field of FIELDS) {
      // A field the sensor does not have is not stored at all (no column of nulls). We ask
      // Klippy for named fields, and it answers null for those an object lacks.
      if (history.rings[field] === undefined && (status[field] === undefined || status[field] === null)) continue;
      out.push([field, (history.rings[field] ??= new RingBuffer<number | null>(this.opts.size))]);
    }
    return out;
  }

  /** Records one sample of every sensor; public so a test clock can drive it directly. */
  sample(): void {
    for (const [name, history] of this.sensors) {
      const status = this.subscriptions.current(name);
      if (!status) continue;
      for (const [field, ring] of this.ringsFor(history, status)) ring.push(round2(status[field]));
    }
  }

  /** `{sensor: {temperatures, targets, powers?, speeds?}}`, oldest first. */
  snapshot(includeMonitors: boolean): Record<string, Record<string, Array<number | null>>> {
    const out: Record<string, Record<string, Array<number | null>>> = {};
    for (const [name, history] of this.sensors) {
      if (history.monitor && !includeMonitors) continue;
      const entry: Record<string, Array<number | null>> = {};
      for (const field of FIELDS) {
        const ring = history.rings[field];
        if (ring) entry[REPLY_KEYS[field]] = ring.toArray();
      }
      // A sensor not sampled yet still appears, with empty series (clients build graphs from keys).
      if (!entry.temperatures) entry.temperatures = [];
      out[name] = entry;
    }
    return out;
  }
}
