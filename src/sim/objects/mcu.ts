// mcu (mcu.py get_status): a plausible STM32 board. Clients show the version and constants in
// their system panels; nothing in the sim depends on these values.

import type { JsonObject } from '../../shared/klippyProtocol.js';
import type { StatusSource } from '../printerObject.js';

export class Mcu implements StatusSource {
  private readonly startedAt = performance.now();

  constructor(private readonly version: string) {}

  getStatus(): JsonObject {
    // Counters grow with uptime so the panel looks alive, but only once a second.
    const secs = Math.floor((performance.now() - this.startedAt) / 1000);
    return {
      mcu_version: this.version,
      mcu_build_versions: 'gcc: (15:12.2.rel1-1) 12.2.1 20221205 binutils: (2.40-2+18+b1) 2.40',
      mcu_constants: {
        ADC_MAX: 4095,
        BUS_PINS_spi2: 'PB14,PB15,PB13',
        CLOCK_FREQ: 72000000,
        MCU: 'stm32f103xe',
        PWM_MAX: 255,
        RECEIVE_WINDOW: 192,
        RESERVE_PINS_USB: 'PA11,PA12',
        SERIAL_BAUD: 250000,
        STATS_SUMSQ_BASE: 256,
        STEPPER_OPTIMIZED_EDGE: 0,
      },
      last_stats: {
        mcu_awake: 0.003,
        mcu_task_avg: 0.000011,
        mcu_task_stddev: 0.000009,
        bytes_write: 1200 + secs * 160,
        bytes_read: 5100 + secs * 420,
        bytes_retransmit: 9,
        bytes_invalid: 0,
        send_seq: 100 + secs * 12,
        receive_seq: 100 + secs * 12,
        retransmit_seq: 2,
        srtt: 0.001,
        rttvar: 0.0005,
        rto: 0.025,
        ready_bytes: 0,
        upcoming_bytes: 0,
        freq: 72000142,
      },
    };
  }
}
