// The progress Mainsail, Fluidd and KlipperScreen show during a print: each computes it from the
// file's gcode_start_byte/gcode_end_byte and virtual_sdcard's file_position (0 up to the start,
// 1 from the end, the share of the bytes between otherwise; read from their code). Without the
// two offsets they fell back to file_position / file_size and showed tens of percent before the
// first move, the thumbnails counted as printed. Here a real PrusaSlicer header (two thumbnails)
// and config footer frame a print that the virtual Klippy runs; file_position is sampled from
// the notifications all along.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Stack } from '../../helpers/testStack.js';
import { upload } from '../../helpers/fileClient.js';
import { identify, startClientStack, type J } from '../../helpers/clientReplay.js';
import { sample } from '../../helpers/gcodeSamples.js';

let s: Stack;
let file: Buffer;
let movesEnd: number;
/** The sample's own gcode_start_byte and gcode_end_byte (golden test): its header ends there, its footer starts there. */
const HEADER_END = 9778;
const FOOTER_START = 534234;

before(async () => {
  s = await startClientStack();
  const sign = readFileSync(sample('prusaslicer-2.7.4_plant-sign.gcode'));
  // Travel moves only (no heating needed), long enough to be caught in the middle.
  const moves = ['G28', 'G90'];
  for (let i = 0; i < 150; i++) moves.push(`G1 X${i % 2 ? 90 : 50} Y${50 + (i % 100)} F12000`);
  const body = Buffer.from(moves.join('\n') + '\n');
  file = Buffer.concat([sign.subarray(0, HEADER_END + 1), body, sign.subarray(FOOTER_START)]);
  movesEnd = HEADER_END + 1 + body.length;
  assert.equal((await upload(s.url, { filename: 'sign.gcode', content: file })).status, 201);
});
after(() => s.close());

/** The three clients' formula (Mainsail getPrintPercentByFilepositionRelative, Fluidd getFileRelativePrintProgress, KlipperScreen). */
function clientProgress(pos: number, start: number, end: number): number {
  if (pos <= start) return 0;
  if (pos >= end) return 1;
  return (pos - start) / (end - start);
}

test('progress from gcode_start_byte/gcode_end_byte and file_position rises through the moves to 1 at the last one', async () => {
  const ws = await s.ws();
  try {
    await identify(ws, 'mainsail', 'web', '2.18.2');
    const meta = await ws.call('server.files.metadata', { filename: 'sign.gcode' });
    assert.equal(meta.gcode_start_byte, HEADER_END, 'the line end before "G28"');
    assert.equal(meta.gcode_end_byte, movesEnd, 'just past the last move');
    const { gcode_start_byte: start, gcode_end_byte: end, size } = meta as { gcode_start_byte: number; gcode_end_byte: number; size: number };

    await ws.call('printer.objects.subscribe', { objects: { virtual_sdcard: ['file_position', 'progress'], print_stats: ['state', 'filename'] } });
    const since = ws.notifications.length;
    await ws.call('printer.print.start', { filename: 'sign.gcode' });
    await ws.waitFor('notify_status_update', (p) => (p?.[0] as J)?.print_stats?.state === 'complete', 30_000, since);
    const positions = ws.notifications
      .slice(since)
      .filter((n) => n.method === 'notify_status_update')
      .map((n) => (n.params![0] as J)?.virtual_sdcard?.file_position as number | undefined)
      .filter((p): p is number => typeof p === 'number');
    assert.ok(positions.length >= 3, `file_position sampled ${positions.length} times`);

    const shown = positions.map((p) => clientProgress(p, start, end));
    for (let i = 1; i < shown.length; i++) assert.ok(shown[i]! >= shown[i - 1]!, 'progress never goes back');
    assert.ok(shown.some((p) => p > 0 && p < 1), `some progress between 0 and 1: ${shown.map((p) => p.toFixed(2)).join(' ')}`);
    assert.equal(shown.at(-1), 1, 'complete at the end, though the footer after the last move is still unread by then or read');
    // What the whole-file share would have shown: it counts the header (over a quarter of this file) as printed from the first report on.
    for (const p of positions) {
      assert.ok(Math.max(p, start) / size > 0.25, `whole-file share ${p / size}`);
    }
  } finally {
    await ws.close();
  }
});
