import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, subscribeOutput, query } from './rawClient.js';

test('list_endpoints names every endpoint the server relies on', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const { endpoints } = await h.client.result('list_endpoints');
  for (const ep of [
    'list_endpoints', 'info', 'emergency_stop', 'register_remote_method', 'objects/list', 'objects/query',
    'objects/subscribe', 'gcode/help', 'gcode/script', 'gcode/restart', 'gcode/firmware_restart',
    'gcode/subscribe_output', 'pause_resume/pause', 'pause_resume/resume', 'pause_resume/cancel',
    'query_endstops/status',
  ]) {
    assert.ok((endpoints as string[]).includes(ep), `missing ${ep}`);
  }
});

test('info reports the ready state and host facts with Klippy field names and types', async (t) => {
  const h = await startSim({ logFile: undefined });
  t.after(() => h.cleanup());
  const info = await h.client.result('info', { client_info: { program: 'Moonraker', version: 'test' } });
  assert.equal(info.state, 'ready');
  assert.equal(info.state_message, 'Printer is ready');
  for (const k of ['hostname', 'klipper_path', 'python_path', 'log_file', 'config_file', 'software_version', 'cpu_info']) {
    assert.equal(typeof info[k], 'string', k);
  }
  for (const k of ['process_id', 'user_id', 'group_id']) assert.equal(typeof info[k], 'number', k);
  assert.match(info.software_version as string, /^v\d+\.\d+\.\d+/);
});

test('parameter errors use Klippy texts', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  assert.equal(await c.errorOf('info', { client_info: 'x' }), 'Invalid Argument Type [client_info]');
  assert.equal(await c.errorOf('gcode/script', {}), 'Missing Argument [script]');
  assert.equal(await c.errorOf('gcode/script', { script: 5 }), 'Invalid Argument Type [script]');
  assert.equal(await c.errorOf('objects/query', {}), 'Missing Argument [objects]');
  assert.equal(await c.errorOf('objects/query', { objects: { toolhead: 'position' } }), 'Invalid argument');
  assert.equal(await c.errorOf('register_remote_method', { remote_method: 'x' }), 'Missing Argument [response_template]');
  assert.equal(await c.errorOf('no/such/thing'), "webhooks: No registered callback for path 'no/such/thing'");
  const r = await c.call('no/such/thing');
  assert.deepEqual(r.error, { error: 'WebRequestError', message: "webhooks: No registered callback for path 'no/such/thing'" });
});

test('a request without an id (or with a null id) runs but gets no reply', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const c = h.client;
  c.send({ method: 'gcode/script', params: { script: 'M117 no id' } });
  c.send({ id: null, method: 'gcode/script', params: { script: 'M106 S255' } });
  const status = await query(c, { display_status: ['message'], fan: ['speed'] });
  assert.equal(status.display_status?.message, 'no id');
  assert.equal(status.fan?.speed, 1);
  assert.equal(c.messages.length, 0, 'nothing but replies to our own ids arrived');
});

test('params may be left out entirely', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  h.client.send({ id: 77, method: 'objects/list' });
  const reply = await h.client.waitFor(() => h.client.messages.find((m) => m.id === 77));
  assert.ok(Array.isArray((reply.result as { objects: unknown }).objects));
});

test('objects/list and objects/query: unknown objects give {}, unknown fields give null', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const { objects } = await h.client.result('objects/list');
  for (const o of [
    'webhooks', 'toolhead', 'gcode_move', 'extruder', 'heater_bed', 'heaters', 'fan', 'print_stats',
    'virtual_sdcard', 'pause_resume', 'idle_timeout', 'display_status', 'configfile', 'query_endstops',
    'system_stats', 'motion_report', 'gcode', 'stepper_enable', 'mcu',
  ]) {
    assert.ok((objects as string[]).includes(o), `missing ${o}`);
  }
  const r = await h.client.result('objects/query', { objects: { nope: null, fan: ['speed', 'bogus'] } });
  assert.equal(typeof r.eventtime, 'number');
  assert.deepEqual(r.status, { nope: {}, fan: { speed: 0, bogus: null } });
});

test('printer objects carry the fields and JSON types of current Klipper', async (t) => {
  const h = await startSim({ gcodesPath: '/tmp/some/gcodes' });
  t.after(() => h.cleanup());
  const s = await query(h.client, {
    webhooks: null, toolhead: null, gcode_move: null, extruder: null, heater_bed: null, heaters: null, fan: null,
    print_stats: null, virtual_sdcard: null, pause_resume: null, idle_timeout: null, display_status: null,
    configfile: null, query_endstops: null, system_stats: null, motion_report: null, gcode: null,
    stepper_enable: null, mcu: null,
  });
  assert.deepEqual(s.webhooks, { state: 'ready', state_message: 'Printer is ready' });
  assert.equal(s.toolhead?.homed_axes, '');
  assert.deepEqual(s.toolhead?.axis_maximum, [235, 235, 250, 0]);
  assert.deepEqual(s.toolhead?.position, [0, 0, 0, 0]);
  assert.equal(s.toolhead?.extruder, 'extruder');
  for (const k of ['print_time', 'estimated_print_time', 'max_velocity', 'max_accel', 'minimum_cruise_ratio', 'square_corner_velocity', 'stalls']) {
    assert.equal(typeof s.toolhead?.[k], 'number', `toolhead.${k}`);
  }
  assert.deepEqual(Object.keys(s.gcode_move ?? {}).sort(), [
    'absolute_coordinates', 'absolute_extrude', 'axis_map', 'extrude_factor', 'gcode_position', 'homing_origin',
    'position', 'speed', 'speed_factor',
  ]);
  assert.equal(s.gcode_move?.speed_factor, 1);
  assert.deepEqual(Object.keys(s.extruder ?? {}).sort(), [
    'can_extrude', 'motion_queue', 'power', 'pressure_advance', 'smooth_time', 'target', 'temperature',
  ]);
  assert.equal(s.extruder?.can_extrude, false);
  assert.deepEqual(Object.keys(s.heater_bed ?? {}).sort(), ['power', 'target', 'temperature']);
  assert.deepEqual(s.heaters, {
    available_heaters: ['heater_bed', 'extruder'],
    available_sensors: ['heater_bed', 'extruder'],
    available_monitors: [],
  });
  assert.deepEqual(s.fan, { speed: 0, rpm: null });
  assert.deepEqual(s.print_stats, {
    filename: '', total_duration: 0, print_duration: 0, filament_used: 0, state: 'standby', message: '',
    info: { total_layer: null, current_layer: null },
  });
  assert.deepEqual(s.virtual_sdcard, { file_path: null, progress: 0, is_active: false, file_position: 0, file_size: 0 });
  assert.deepEqual(s.pause_resume, { is_paused: false });
  assert.deepEqual(s.idle_timeout, { state: 'Idle', printing_time: 0, idle_timeout: 600 });
  assert.deepEqual(s.display_status, { progress: 0, message: null });
  const cfg = s.configfile as { config: Record<string, Record<string, string>>; settings: Record<string, Record<string, unknown>> };
  assert.equal(cfg.config.virtual_sdcard?.path, '/tmp/some/gcodes');
  assert.equal(cfg.config.printer?.max_velocity, '300');
  assert.equal(cfg.settings.printer?.max_velocity, 300);
  assert.equal(cfg.settings.extruder?.max_temp, 300);
  assert.equal(cfg.settings.extruder?.min_extrude_temp, 170);
  assert.equal(cfg.settings.heater_bed?.max_temp, 120);
  assert.deepEqual(s.configfile?.warnings, []);
  assert.equal(s.configfile?.save_config_pending, false);
  assert.deepEqual(s.configfile?.save_config_pending_items, {});
  assert.deepEqual(s.query_endstops, { last_query: {} });
  assert.equal(typeof s.system_stats?.sysload, 'number');
  assert.equal(typeof s.system_stats?.cputime, 'number');
  assert.ok(Number.isInteger(s.system_stats?.memavail) && (s.system_stats?.memavail as number) > 0);
  assert.deepEqual(s.motion_report?.live_position, [0, 0, 0, 0]);
  assert.equal(s.motion_report?.live_velocity, 0);
  const commands = (s.gcode as { commands: Record<string, { help?: string }> }).commands;
  assert.deepEqual(commands.RESTART, { help: 'Reload config file and restart host software' });
  assert.deepEqual(commands.G1, {});
  assert.deepEqual(s.stepper_enable, {
    steppers: { stepper_x: false, stepper_y: false, stepper_z: false, extruder: false },
  });
  assert.equal(typeof s.mcu?.mcu_version, 'string');
  assert.equal(typeof (s.mcu?.mcu_constants as Record<string, unknown>).CLOCK_FREQ, 'number');
});

test('gcode/help maps extended commands to their help texts', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const help = await h.client.result('gcode/help');
  assert.equal(help.SET_HEATER_TEMPERATURE, 'Sets a heater temperature');
  assert.equal(help.TURN_OFF_HEATERS, 'Turn off all heaters');
  // The default printer.cfg wraps PAUSE in a macro, as the UIs' client configs do.
  assert.equal(help.BASE_PAUSE, "Renamed builtin of 'PAUSE'");
  assert.equal(help.PAUSE, 'Pause the print, lift the nozzle and park the head');
  assert.equal(help.FIRMWARE_RESTART, 'Restart firmware, host, and reload config');
  assert.equal(help.G1, undefined, 'traditional commands have no help');
});

test('query_endstops/status reports open switches, TRIGGERED once homed on them', async (t) => {
  const h = await startSim({ timeScale: 100 });
  t.after(() => h.cleanup());
  assert.deepEqual(await h.client.result('query_endstops/status'), { stepper_x: 'open', stepper_y: 'open', stepper_z: 'open' });
  await h.client.result('gcode/script', { script: 'G28' });
  assert.deepEqual(await h.client.result('query_endstops/status'), { stepper_x: 'TRIGGERED', stepper_y: 'TRIGGERED', stepper_z: 'TRIGGERED' });
  assert.deepEqual((await query(h.client, { query_endstops: null })).query_endstops, {
    last_query: { stepper_x: true, stepper_y: true, stepper_z: true },
  });
  await h.client.result('gcode/script', { script: 'G1 X10 F6000' });
  assert.deepEqual(await h.client.result('query_endstops/status'), { stepper_x: 'open', stepper_y: 'TRIGGERED', stepper_z: 'TRIGGERED' });
});

test('register_remote_method accepts a template and method name', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  const r = await h.client.result('register_remote_method', {
    response_template: { action: 'run_paneldue_beep' },
    remote_method: 'paneldue_beep',
  });
  assert.deepEqual(r, {});
});

test('gcode/subscribe_output delivers response lines with the template', async (t) => {
  const h = await startSim();
  t.after(() => h.cleanup());
  await subscribeOutput(h.client);
  await h.client.result('gcode/script', { script: 'RESPOND MSG="hello world"' });
  const msg = await h.client.waitFor(() => h.client.messages.find((m) => m.method === 'gcode_response'));
  assert.deepEqual(msg, { method: 'gcode_response', params: { response: '// hello world' } });
});
