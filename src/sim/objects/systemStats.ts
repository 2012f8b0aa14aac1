// system_stats (extras/statistics.py): host load, this process's CPU time and available memory,
// from the real machine, refreshed once a second like Klippy's stats timer.

import { readFileSync } from 'node:fs';
import { freemem, loadavg } from 'node:os';
import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { StatusSource } from '../printerObject.js';

function memAvailableKb(): number {
  try {
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m?.[1]) return Number(m[1]);
  } catch {
    // Not Linux: fall back to what the OS reports as free.
  }
  return Math.round(freemem() / 1024);
}

export class SystemStats implements StatusSource {
  private cached: JsonObject | undefined;
  private cachedAtMs = 0;

  getStatus(): JsonObject {
    const nowMs = performance.now();
    if (!this.cached || nowMs - this.cachedAtMs >= 1000) {
      const cpu = process.cpuUsage();
      this.cached = {
        sysload: Math.round((loadavg()[0] ?? 0) * 100) / 100,
        cputime: (cpu.user + cpu.system) / 1e6,
        memavail: memAvailableKb(),
      };
      this.cachedAtMs = nowMs;
    }
    return { ...this.cached };
  }
}
