// KlipperScreen (686d106) replayed (reference/clients.md, "Observed with KlipperScreen"): all over
// the websocket, opened with an empty ?token=, each reply checked for the fields it reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Stack } from '../../helpers/testStack.js';
import { RpcClient } from '../../helpers/rpcClient.js';
import { upload } from '../../helpers/fileClient.js';
import { assertFields, identify, pollUntil, startClientStack, type J } from '../../helpers/clientReplay.js';
import { sample } from '../../helpers/gcodeSamples.js';
import { fileManager } from '../../../src/components/file_manager/index.js';

let s: Stack;

before(async () => {
  s = await startClientStack();
  assert.equal((await upload(s.url, { filename: 'cube.gcode', path: 'screen', content: readFileSync(sample('orcaslicer-2.3.0-beta2.gcode')) })).status, 201);
  await pollUntil(async () => s.server.kernel.lookup(fileManager).metadataPending, (n) => n === 0);
});
after(() => s.close());

test('KlipperScreen: empty token, identify as a display, its start-up, files with metadata and thumbnails', async () => {
  const ws = await RpcClient.connect(`${s.wsUrl}?token=`);
  try {
    const call = (m: string, p?: unknown) => ws.call(m, p);
    await identify(ws, 'KlipperScreen', 'display', 'v0.4.5');
    const info = await call('server.info');
    // Without `warnings` it hangs on its splash screen.
    assertFields(info, { klippy_connected: 'boolean', klippy_state: 'string', warnings: 'array', failed_components: 'array', missing_klippy_requirements: 'array', components: 'array' }, 'server.info');
    if ((info.components as string[]).includes('webcam')) assertFields(await call('server.webcams.list'), { webcams: 'array' }, 'webcams');
    assertFields(await call('printer.info'), { state: 'string', state_message: 'string' }, 'printer.info');
    const cfg = await call('printer.objects.query', { objects: { configfile: null } });
    assertFields(cfg, { 'status.configfile.config': 'object', 'status.configfile.settings': 'object', 'status.configfile.warnings': 'array' }, 'configfile');
    const list = await call('printer.objects.list');
    // Its first state: every object with every field.
    const all = await call('printer.objects.query', { objects: Object.fromEntries((list.objects as string[]).map((o) => [o, null])) });
    assertFields(all, { 'status.webhooks.state': 'string', 'status.print_stats.state': 'string', 'status.print_stats.filename': 'string', 'status.extruder.temperature': 'number', 'status.extruder.target': 'number', 'status.toolhead.homed_axes': 'string' }, 'query all');
    assert.equal(all.status.webhooks.state, 'ready', 'opens the main menu');
    assert.ok(Object.values(await call('printer.gcode.help')).length > 0);
    assertFields(await call('machine.system_info'), { system_info: 'object' }, 'machine.system_info');
    assertFields(await call('server.config'), { 'config.data_store.temperature_store_size': 'number' }, 'server.config');
    const sub = await call('printer.objects.subscribe', { objects: { print_stats: null, webhooks: null, extruder: ['temperature', 'target', 'power'], heater_bed: null, display_status: null } });
    assertFields(sub, { eventtime: 'number', 'status.print_stats.state': 'string', 'status.extruder.temperature': 'number' }, 'subscribe');
    const temps = await call('server.temperature_store', {});
    for (const [sensor, series] of Object.entries(temps as Record<string, J>)) assertFields(series, { temperatures: 'array' }, `temperature_store ${sensor}`);

    // Files: the list must carry `path` (it throws on the 2020 filename-only shape), then each file's metadata.
    const files = await call('server.files.list', {});
    assertFields(files, { '[].path': 'string', '[].modified': 'number', '[].size': 'number' }, 'server.files.list');
    for (const f of files as J[]) {
      const meta = await call('server.files.metadata', { filename: f.path });
      assertFields(meta, { filename: 'string', modified: 'number', size: 'number' }, `metadata ${f.path}`);
      for (const t of (meta.thumbnails ?? []) as J[]) {
        assertFields(t, { width: 'number', height: 'number', size: 'number', relative_path: 'string' }, 'thumbnail');
        // It fetches the image next to the gcode file.
        const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/') + 1) : '';
        const img = await fetch(`${s.url}/server/files/gcodes/${dir}${t.relative_path}`);
        assert.equal(img.status, 200, `${dir}${t.relative_path}`);
        assert.equal(Buffer.from(await img.arrayBuffer()).subarray(1, 4).toString('latin1'), 'PNG');
      }
    }
    assert.ok((files as J[]).some((f) => f.path === 'screen/cube.gcode'));

    // Klippy's state changes reach it as notifications.
    const since = ws.notifications.length;
    await call('printer.restart');
    await ws.waitFor('notify_klippy_disconnected', () => true, 10_000, since);
    await ws.waitFor('notify_klippy_ready', () => true, 10_000, since);
  } finally {
    await ws.close();
  }
});
