// Process and host load behind machine.proc_stats and notify_proc_stat_update: sampled once a
// second, but only while a websocket client is connected (an idle Pi does no work for nobody).
import { readFile } from 'node:fs/promises';
import { EMPTY, Subject, interval, map, distinctUntilChanged, switchMap, merge, of, type Observable, type Subscription } from 'rxjs';
import { RingBuffer } from '../../util/ringBuffer.js';
import type { ConnectionRegistry } from '../../transport/connections.js';

const read = (path: string) => readFile(path, 'utf8').catch(() => '');
const round2 = (n: number) => Math.round(n * 100) / 100;

export interface ProcSample {
  time: number;
  cpu_usage: number;
  memory: number;
  mem_units: 'kB';
}

interface CpuTimes {
  idle: number;
  total: number;
}

function parseCpuTimes(stat: string): Map<string, CpuTimes> {
  const out = new Map<string, CpuTimes>();
  for (const line of stat.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [name, ...nums] = line.trim().split(/\s+/);
    const v = nums.map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    out.set(name!, { idle, total: v.reduce((a, b) => a + b, 0) });
  }
  return out;
}

/** Raspberry Pi firmware throttling flags, as vcgencmd reports them. */
const THROTTLE_FLAGS: Array<[number, string]> = [
  [1 << 0, 'Under-Voltage Detected'],
  [1 << 1, 'Frequency Capped'],
  [1 << 2, 'Currently Throttled'],
  [1 << 3, 'Temperature Limit Active'],
  [1 << 16, 'Previously Under-Volted'],
  [1 << 17, 'Previously Frequency Capped'],
  [1 << 18, 'Previously Throttled'],
  [1 << 19, 'Previously Temperature Limited'],
];

export class ProcStats {
  private readonly samples = new RingBuffer<ProcSample>(30);
  private lastCpu: { wall: bigint; usage: NodeJS.CpuUsage } | undefined;
  private lastHostCpu: Map<string, CpuTimes> | undefined;
  private lastNet: { time: number; bytes: Map<string, number> } | undefined;
  private sub: Subscription | undefined;
  private latest: Awaited<ReturnType<ProcStats['sampleHost']>> | undefined;
  private readonly updates = new Subject<Record<string, unknown>>();
  /** One report a second while any client is connected (notify_proc_stat_update's params[0]). */
  readonly updates$: Observable<Record<string, unknown>> = this.updates.asObservable();

  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly ticks$: Observable<unknown> = interval(1000),
  ) {}

  start(): void {
    const clients$ = merge(of(null), this.connections.opened$, this.connections.closed$).pipe(
      map(() => this.connections.size > 0),
      distinctUntilChanged(),
    );
    this.sub = clients$.pipe(switchMap((any) => (any ? this.ticks$ : EMPTY))).subscribe(() => {
      void this.tick();
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.updates.complete();
  }

  private async tick(): Promise<void> {
    const host = await this.sampleHost();
    this.updates.next({
      moonraker_stats: this.samples.last(1)[0],
      cpu_temp: host.cpu_temp,
      network: host.network,
      system_cpu_usage: host.system_cpu_usage,
      system_memory: host.system_memory,
      websocket_connections: this.connections.size,
    });
  }

  private sampleProcess(): ProcSample {
    const wall = process.hrtime.bigint();
    const usage = process.cpuUsage();
    let cpu = 0;
    if (this.lastCpu) {
      const dtUs = Number(wall - this.lastCpu.wall) / 1000;
      const used = usage.user - this.lastCpu.usage.user + (usage.system - this.lastCpu.usage.system);
      cpu = dtUs > 0 ? (used / dtUs) * 100 : 0;
    }
    this.lastCpu = { wall, usage };
    const sample: ProcSample = { time: Date.now() / 1000, cpu_usage: round2(cpu), memory: Math.round(process.memoryUsage.rss() / 1024), mem_units: 'kB' };
    this.samples.push(sample);
    return sample;
  }

  private async sampleHost() {
    this.sampleProcess();
    const [stat, meminfo, temp, netdev, uptime, throttled] = await Promise.all([
      read('/proc/stat'),
      read('/proc/meminfo'),
      read('/sys/class/thermal/thermal_zone0/temp'),
      read('/proc/net/dev'),
      read('/proc/uptime'),
      read('/sys/devices/platform/soc/soc:firmware/get_throttled'),
    ]);
    const cpuNow = parseCpuTimes(stat);
    const system_cpu_usage: Record<string, number> = {};
    for (const [name, t] of cpuNow) {
      const prev = this.lastHostCpu?.get(name);
      const dt = prev ? t.total - prev.total : 0;
      system_cpu_usage[name] = prev && dt > 0 ? round2((1 - (t.idle - prev.idle) / dt) * 100) : 0;
    }
    this.lastHostCpu = cpuNow;
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0);
    const total = kb('MemTotal');
    const available = kb('MemAvailable');
    const now = Date.now() / 1000;
    const network: Record<string, { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number; rx_errs: number; tx_errs: number; rx_drop: number; tx_drop: number; bandwidth: number }> = {};
    const bytes = new Map<string, number>();
    for (const line of netdev.split('\n').slice(2)) {
      const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      const v = m[2]!.trim().split(/\s+/).map(Number);
      const name = m[1]!.trim();
      const sum = (v[0] ?? 0) + (v[8] ?? 0);
      bytes.set(name, sum);
      const prev = this.lastNet?.bytes.get(name);
      const dt = this.lastNet ? now - this.lastNet.time : 0;
      network[name] = {
        rx_bytes: v[0] ?? 0,
        tx_bytes: v[8] ?? 0,
        rx_packets: v[1] ?? 0,
        tx_packets: v[9] ?? 0,
        rx_errs: v[2] ?? 0,
        tx_errs: v[10] ?? 0,
        rx_drop: v[3] ?? 0,
        tx_drop: v[11] ?? 0,
        bandwidth: prev !== undefined && dt > 0 ? round2((sum - prev) / dt) : 0,
      };
    }
    this.lastNet = { time: now, bytes };
    const bits = throttled.trim() === '' ? undefined : Number.parseInt(throttled.trim(), 16);
    const host = {
      throttled_state: bits === undefined || Number.isNaN(bits) ? null : { bits, flags: THROTTLE_FLAGS.filter(([b]) => bits & b).map(([, f]) => f) },
      cpu_temp: temp.trim() === '' ? null : round2(Number(temp) / 1000),
      network,
      system_cpu_usage,
      system_memory: total ? { total, available, used: total - available } : {},
      system_uptime: Number(uptime.split(' ')[0]) || 0,
    };
    this.latest = host;
    return host;
  }

  /** machine.proc_stats: the last 30 process samples and the host's current load. */
  async report() {
    const host = this.latest ?? (await this.sampleHost());
    return {
      moonraker_stats: this.samples.toArray(),
      throttled_state: host.throttled_state,
      cpu_temp: host.cpu_temp,
      network: host.network,
      system_cpu_usage: host.system_cpu_usage,
      system_memory: host.system_memory,
      system_uptime: host.system_uptime,
      websocket_connections: this.connections.size,
    };
  }
}
