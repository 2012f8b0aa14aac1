// The metadata parser against the 24 real slicer files in test/fixtures/gcode-samples. Every expected
// value below was read off the file by hand (header, footer, start gcode), not copied from the
// parser's output; where the file itself disagrees with a naive reading the row says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { extractMetadata, METADATA_READ_SIZE, type SlicerMetadata } from '../../src/fs/metadata/gcodeMetadata.js';

import { FIXTURES, NOT_REDISTRIBUTED, sample, samplePath } from '../helpers/gcodeSamples.js';

type Row = Omit<SlicerMetadata, 'thumbnails'> & { thumbs: string[] };

// thumbs: "WxH" of each thumbnail in file order; every one must decode to a PNG or a JPEG.
const GOLDEN: Record<string, Row> = {
  'bambustudio-01.10.02.76.gcode': {
    // "High Temp Plate" → hot_plate_temp_initial_layer = 60; filament from the header block.
    // Its config is in the header; weight from "; total filament weight [g] : 4.48" (no per-filament list).
    slicer: 'BambuStudio', slicer_version: '01.10.02.76', gcode_start_byte: 28001, gcode_end_byte: 878478, layer_count: 25,
    object_height: 5, estimated_time: 785, nozzle_diameter: 0.4, layer_height: 0.2, first_layer_height: 0.2,
    first_layer_extr_temp: 220, first_layer_bed_temp: 60, chamber_temp: 0, filament_name: 'Generic PLA @Creality',
    filament_type: 'PLA', filament_colors: ['#00AE42'], extruder_colors: ['#FCE94F'], filament_temps: [220],
    referenced_tools: [], mmu_print: 1, filament_total: 1503.61, filament_weight_total: 4.48, printer_model: 'Creality K1 Max',
    printer_variant: '0.4', thumbs: ['96x96', '300x300'],
  },
  'creality-print-5.1.4.gcode': {
    // "estimated printing time (normal mode) = 39m 45s" (M73 R39 agrees), not the "39m 16s" line.
    // Named as its banner spells it (Moonraker too). "filament_settings_id = " is blank: no filament_name. The
    // weight total sits behind "; filament cost = 0.65;" on one line, a slip of the slicer.
    slicer: 'Creality_Print', slicer_version: 'V5.1.4.10249', gcode_start_byte: 1807, gcode_end_byte: 1332249, layer_count: 20,
    object_height: 4, estimated_time: 2385, nozzle_diameter: 0.4, layer_height: 0.2, first_layer_height: 0.2,
    first_layer_extr_temp: 220, first_layer_bed_temp: 60, chamber_temp: 0, filament_type: 'PLA', filament_colors: ['#ffffff'],
    extruder_colors: ['#FCE94F'], filament_temps: [220], referenced_tools: [], mmu_print: 1, filament_total: 10882.04,
    filament_weight_total: 32.46, filament_weights: [32.46], printer_model: 'Creality K1 Max', printer_variant: '0.4',
    thumbs: [],
  },
  'cura-2.3.1_puzzle.gcode': {
    // No summary header but ;TIME: the heights come from ;SETTING_3 and the last layer (LAYER:118 at Z23.8);
    // it states no filament total.
    slicer: 'Cura', slicer_version: '2.3.1', gcode_start_byte: 64, gcode_end_byte: 946358, layer_count: 119,
    object_height: 23.8, estimated_time: 3485, layer_height: 0.2, first_layer_height: 0.2, first_layer_extr_temp: 195,
    first_layer_bed_temp: 50, thumbs: [],
  },
  'cura-4.10.0.gcode': {
    // Temperatures from the start macro: PRINT_START BED=110 EXTRUDER=235.
    // chamber_temp: the macro's CHAMBER=40 comes before the M141 S36 that follows it.
    slicer: 'Cura', slicer_version: '4.10.0', gcode_start_byte: 194, gcode_end_byte: 541261, layer_count: 25,
    object_height: 5.2, estimated_time: 451, layer_height: 0.2, first_layer_height: 0.2, first_layer_extr_temp: 235,
    first_layer_bed_temp: 110, chamber_temp: 40, filament_total: 273.87, thumbs: [],
  },
  'cura-4.13.1_qoi-thumb.gcode': {
    // A stub without moves: temperatures from ;SETTING_3, where the extruder's
    // material_print_temperature_layer_0 (215) overrides the global one (200).
    // No G or M line at all: no gcode_start_byte/gcode_end_byte.
    slicer: 'Cura', slicer_version: '4.13.1', object_height: 7.55, estimated_time: 4199, layer_height: 0.15,
    first_layer_height: 0.2, first_layer_extr_temp: 215, first_layer_bed_temp: 60, filament_total: 3579.83,
    thumbs: ['48x48', '128x128'],
  },
  'cura-5.9.1.gcode': {
    slicer: 'Cura', slicer_version: '5.9.1', gcode_start_byte: 219, gcode_end_byte: 1391401, layer_count: 25, object_height: 5,
    estimated_time: 2848, layer_height: 0.2, first_layer_height: 0.2, first_layer_extr_temp: 200, first_layer_bed_temp: 60,
    filament_total: 1677.14, thumbs: [],
  },
  'icesl-2021-09-08.gcode': {
    // The config says z_layer_height_first_layer_mm 0.3, but the first "; <layer>" prints at Z0.12;
    // the last layer is at Z5.04. No time or filament is stated.
    // The file starts with "G21": gcode_start_byte 0 (Moonraker's search needs a line before and says 32).
    // chamber_temp_degree_c : 0 is stated, so 0.
    slicer: 'IceSL', slicer_version: 'Sep 8 2021 17:53:41', gcode_start_byte: 0, gcode_end_byte: 862644, object_height: 5.04,
    nozzle_diameter: 0.4, layer_height: 0.12, first_layer_height: 0.12, first_layer_extr_temp: 245, first_layer_bed_temp: 110,
    chamber_temp: 0, thumbs: [],
  },
  'ideamaker-4.2.0.gcode': {
    // Raft layers are negative (;LAYER:-2, -1); LAYER:0 is 0.3 thick, LAYER:1 0.15; Bounding Box max z 9.32.
    // Weight = π/4 · 1.75² mm² · 422.7 mm · 1240 kg/m³ (Filament Diameter/Density #1), as Moonraker computes it.
    // ;Dimension: 205 205 205 0.400: the last number is the nozzle.
    slicer: 'IdeaMaker', slicer_version: '4.2.0.5250', gcode_start_byte: 444, gcode_end_byte: 236950, object_height: 9.32,
    estimated_time: 744, nozzle_diameter: 0.4, layer_height: 0.15, first_layer_height: 0.3, first_layer_extr_temp: 215,
    first_layer_bed_temp: 60, filament_total: 422.7, filament_weight_total: 1.2607236844296148, thumbs: [],
  },
  'ideamaker-5.1.4.gcode': {
    // The last command is the bare "G90" before ";Data start": the end is after its line end (737023); Moonraker's
    // search also swallows the line after a bare code and says 737075.
    slicer: 'IdeaMaker', slicer_version: '5.1.4.8480', gcode_start_byte: 665, gcode_end_byte: 737023, object_height: 5.05,
    estimated_time: 1835, nozzle_diameter: 0.4, layer_height: 0.25, first_layer_height: 0.3, first_layer_extr_temp: 215,
    first_layer_bed_temp: 55, filament_name: '[Raise3D] Premium PLA 1.75mm', filament_type: 'PLA', filament_total: 1643.4,
    filament_weight_total: 4.901521890209674, thumbs: [],
  },
  'kirimoto-3.0.gcode': {
    // ";; --- layer 0 (0.250 @ 0.255) ---" … "layer 24 (0.200 @ 5.05)"; outputTemp/outputBedTemp.
    // Layers 0..24: layer_count 25.
    slicer: 'Kiri:Moto', slicer_version: '3.0.D24', gcode_start_byte: 2135, gcode_end_byte: 351512, layer_count: 25,
    object_height: 5.05, estimated_time: 806, layer_height: 0.2, first_layer_height: 0.25, first_layer_extr_temp: 210,
    first_layer_bed_temp: 70, filament_total: 225.03, thumbs: [],
  },
  'kisslicer-1.1.0.14_cube.gcode': {
    // First layer object at z=0.50, then every 0.25 to 10.25; "Estimated Build Time: 7.01 minutes";
    // only a volume is stated, no filament length.
    slicer: 'KISSlicer', slicer_version: '1.1.0.14', gcode_start_byte: 4374, gcode_end_byte: 62271, object_height: 10.25,
    estimated_time: 420.6, layer_height: 0.25, first_layer_height: 0.5, first_layer_extr_temp: 255, first_layer_bed_temp: 80,
    filament_name: 'sample material', thumbs: [],
  },
  'kisslicer-1.6.3.gcode': {
    // The layers printed are z_thickness=0.278 (18 layers to 5.000), whatever the profile's 0.2/0.268 say.
    // nozzle_dia_1 = 0.4 and material_name = test (the material profile of extruder 1); chamber_C = 0.
    slicer: 'KISSlicer', slicer_version: '1.6.3-Release-Win64', gcode_start_byte: 11110, gcode_end_byte: 373522,
    object_height: 5, estimated_time: 476.4, nozzle_diameter: 0.4, layer_height: 0.278, first_layer_height: 0.278,
    first_layer_extr_temp: 195, first_layer_bed_temp: 43, chamber_temp: 0, filament_name: 'test', filament_total: 298.83,
    thumbs: [],
  },
  'kisslicer-2.0.6.gcode': {
    // Two objects sliced at 0.263 and 0.278; the first layer printed is 0.263, the most common thickness 0.263.
    slicer: 'KISSlicer', slicer_version: '2-a-2.0.6-Win64', gcode_start_byte: 13240, gcode_end_byte: 477476, object_height: 5,
    estimated_time: 610.8, nozzle_diameter: 0.4, layer_height: 0.263, first_layer_height: 0.263, first_layer_extr_temp: 195,
    first_layer_bed_temp: 43, chamber_temp: 0, filament_name: 'test', filament_total: 305.09, thumbs: [],
  },
  'orcaslicer-2.3.0-beta2.gcode': {
    // "filament used [mm] = 0.00, 32105.52": the second extruder printed everything.
    // Two filaments: the names and types come as JSON arrays in a string, as Moonraker gives them.
    slicer: 'OrcaSlicer', slicer_version: '2.3.0-beta2', gcode_start_byte: 8702, gcode_end_byte: 1751048, layer_count: 190,
    object_height: 38, estimated_time: 5563, nozzle_diameter: 0.4, layer_height: 0.2, first_layer_height: 0.2,
    first_layer_extr_temp: 220, first_layer_bed_temp: 50, chamber_temp: 35,
    filament_name: '["Hyper PLA(parts.3mf)", "Hyper PLA(parts.3mf)"]', filament_type: '["PLA", "PLA"]',
    filament_colors: ['#ffffff', '#000000'], extruder_colors: ['#ffffff', '#000000'], filament_temps: [220, 220],
    referenced_tools: [], mmu_print: 1, filament_total: 32105.52, filament_weight_total: 95.76, filament_weights: [0, 95.76],
    printer_model: 'CR-K1 Max', printer_variant: '0.4', thumbs: ['96x96', '300x300'],
  },
  'prusaslicer-2.4.1_jpg-thumbs.gcode': {
    // A stub: a JPEG thumbnail and the config, no moves, no time or filament summary.
    // printer_model/variant/vendor are stated blank; extruder_colour = "" gives an empty list. No moves: no bounds.
    slicer: 'PrusaSlicer', slicer_version: '2.4.1-beta1+n8', nozzle_diameter: 0.4, layer_height: 0.2, first_layer_height: 0.2,
    first_layer_extr_temp: 225, first_layer_bed_temp: 80, filament_name: 'Kossel', filament_type: 'PLA',
    filament_colors: ['#19C0C7'], extruder_colors: [], filament_temps: [225], referenced_tools: [], mmu_print: 0,
    printer_vendor: '', printer_model: '', printer_variant: '', thumbs: ['160x160'],
  },
  'prusaslicer-2.7.4_plant-sign.gcode': {
    // First M104 is a 150 °C "prevent oozing" step; the config's first_layer_temperature is 210.
    // filament_temps is "temperature = 200" (the later layers), not the first layer's 210.
    // "; printer_vendor =" has no value at all (no blank after "="): left out.
    slicer: 'PrusaSlicer', slicer_version: '2.7.4+MacOS-x64', gcode_start_byte: 9778, gcode_end_byte: 534234,
    object_height: 3.9, estimated_time: 1634, nozzle_diameter: 0.4, layer_height: 0.3, first_layer_height: 0.3,
    first_layer_extr_temp: 210, first_layer_bed_temp: 60, filament_name: '3D-Fuel Standard PLA @Template',
    filament_type: 'PLA', filament_colors: ['#FF8000'], extruder_colors: ['#FCE94F'], filament_temps: [200],
    referenced_tools: [], mmu_print: 0, filament_total: 1645, filament_weight_total: 4.91, filament_weights: [4.91],
    printer_model: 'ENDER3V2', printer_variant: '0.4', thumbs: ['16x16', '220x124'],
  },
  'prusaslicer-2.8.1_qoi-thumbs.gcode': {
    // "; redacted GCODE": no layers, so no object height (the end gcode's Z28.8 park is not the part).
    // Four QOI thumbnails (served as PNG) and one PNG.
    // The gcode proper is a few lines (426282 - 425956 bytes) after 425 KB of thumbnails.
    slicer: 'PrusaSlicer', slicer_version: '2.8.1+win64', gcode_start_byte: 425956, gcode_end_byte: 426282,
    estimated_time: 1822, nozzle_diameter: 0.4, layer_height: 0.2, first_layer_height: 0.2, first_layer_extr_temp: 230,
    first_layer_bed_temp: 60, chamber_temp: 0, filament_name: 'Generic PLA @PGIS', filament_type: 'PLA',
    filament_colors: ['#FF8000'], extruder_colors: [], filament_temps: [220], referenced_tools: [], mmu_print: 0,
    filament_total: 3269.4, filament_weight_total: 9.75, filament_weights: [9.75], printer_vendor: '', printer_model: 'MK4IS',
    printer_variant: '0.4', thumbs: ['16x16', '313x173', '440x240', '480x240', '640x480'],
  },
  'simplify3d-4.1.2.gcode': {
    // firstLayerHeightPercentage 200 of 0.24; last "; layer 49, Z = 12.000" (Z12.1 moves are Z-lift);
    // "Build time: 0 hours 31 minutes".
    // The last command is the bare "M0" before "; Build Summary" (598790); printMaterial,ABS is the name.
    slicer: 'Simplify3D', slicer_version: '4.1.2', gcode_start_byte: 5469, gcode_end_byte: 598790, object_height: 12,
    estimated_time: 1860, nozzle_diameter: 0.5, layer_height: 0.24, first_layer_height: 0.48, first_layer_extr_temp: 220,
    first_layer_bed_temp: 65, filament_name: 'ABS', filament_total: 4375.5, filament_weight_total: 13.16, thumbs: [],
  },
  'simplify3d-5.1.2_thumbs.gcode': {
    // ";TIME:191.00" from the start script is exact where "Build Time: 0 hours 3 minutes" is rounded;
    // its ";Layer height: 0.3000" is the first layer's, the profile's layerHeight is 0.1.
    // chamber_temp: the start script's M141 S50; makerBotModelMaterial,pla is the type.
    slicer: 'Simplify3D', slicer_version: '5.1.2', gcode_start_byte: 43768, gcode_end_byte: 708709, object_height: 5,
    estimated_time: 191, nozzle_diameter: 0.4, layer_height: 0.1, first_layer_height: 0.3, first_layer_extr_temp: 260,
    first_layer_bed_temp: 110, chamber_temp: 50, filament_type: 'pla', filament_total: 291.4, filament_weight_total: 0.88,
    thumbs: ['96x96', '300x300'],
  },
  'slic3r-1.2.9.gcode': {
    // temperature = 0 in the config: the start gcode sets the tool with "G10 P0 S195 R160".
    // "filament used = 1482.1mm, 34.4mm" (two extruders); last layer at Z23.1.
    slicer: 'Slic3r', slicer_version: '1.2.9', gcode_start_byte: 252, gcode_end_byte: 762851, object_height: 23.1,
    nozzle_diameter: 0.5, layer_height: 0.3, first_layer_height: 0.3, first_layer_extr_temp: 195, first_layer_bed_temp: 57,
    filament_colors: ['#FFFFFF'], extruder_colors: [], filament_temps: [0], referenced_tools: [], filament_total: 1516.5,
    thumbs: [],
  },
  'slic3r-1.3.1-dev.gcode': {
    // No bed heating anywhere (first_layer_bed_temperature = 0); no time or filament summary.
    // "; filament_length_m = 0.2904" is the filament: 290.4 mm.
    slicer: 'Slic3r', slicer_version: '1.3.1-dev (Build b1a5500f427700ac3dffc0e7d9535ea65f993537)', gcode_start_byte: 379,
    gcode_end_byte: 136031, object_height: 4.9, nozzle_diameter: 0.4, layer_height: 0.3, first_layer_height: 0.4,
    first_layer_extr_temp: 205, first_layer_bed_temp: 0, filament_colors: ['#FFFFFF'], extruder_colors: [],
    filament_temps: [200], referenced_tools: [], filament_total: 290.4, thumbs: [],
  },
  'slic3r-pe-1.36.2_duplo.gcode': {
    // first_layer_height = 66% of 0.3 = 0.198 (G1 Z0.198); last layer Z13.998.
    slicer: 'Slic3r PE', slicer_version: '1.36.2-prusa3d', gcode_start_byte: 309, gcode_end_byte: 1217814,
    object_height: 13.998, nozzle_diameter: 0.4, layer_height: 0.3, first_layer_height: 0.198, first_layer_extr_temp: 200,
    first_layer_bed_temp: 50, filament_type: 'PLA', filament_colors: ['#FAFF0A'], extruder_colors: [], filament_temps: [200],
    referenced_tools: [], mmu_print: 0, filament_total: 12349.1, thumbs: [],
  },
  'superslicer-2.3.56.gcode': {
    // ArcWelder's banner comes first; the slicer line follows it.
    // CRLF: the printer_* values are trimmed of their "\r" (Moonraker keeps it).
    slicer: 'SuperSlicer', slicer_version: '2.3.56', gcode_start_byte: 49723, gcode_end_byte: 210303, object_height: 5,
    estimated_time: 439, nozzle_diameter: 0.4, layer_height: 0.2, first_layer_height: 0.2, first_layer_extr_temp: 240,
    first_layer_bed_temp: 110, chamber_temp: 40, filament_name: 'KVP ABS @VORON - Copy', filament_type: 'ABS',
    filament_colors: ['#A768DF'], extruder_colors: ['#8000FF'], filament_temps: [235], referenced_tools: [], mmu_print: 0,
    filament_total: 264.59, filament_weight_total: 0.67, filament_weights: [0.67], printer_vendor: '',
    printer_model: 'Voron_v2_300_aferburner', printer_variant: '0.4', thumbs: ['64x64', '400x300'],
  },
  'superslicer-2.4_tapered-cube.gcode': {
    // No config block at the end: heights from ;HEIGHT:/;Z: markers, temperatures from print_start.
    // chamber_temp from "print_start ... CHAMBER=40"; no config: the colour/temp/tool lists are empty, as in
    // Moonraker. The last G/M line is the bare "M107" before ";TYPE:Custom" and print_end.
    slicer: 'SuperSlicer', slicer_version: '2.4', gcode_start_byte: 835, gcode_end_byte: 86202, object_height: 10,
    layer_height: 0.2, first_layer_height: 0.2, first_layer_extr_temp: 240, first_layer_bed_temp: 110, chamber_temp: 40,
    filament_colors: [], extruder_colors: [], filament_temps: [], referenced_tools: [], thumbs: [],
  },
};

function readEnds(file: string): { head: string; tail: string; size: number } {
  const buf = readFileSync(file);
  return {
    size: buf.length,
    head: buf.subarray(0, METADATA_READ_SIZE).toString('latin1'),
    tail: buf.subarray(Math.max(0, buf.length - METADATA_READ_SIZE)).toString('latin1'),
  };
}

test('the golden table covers all 24 sample files, and every file kept here', () => {
  assert.equal(Object.keys(GOLDEN).length, 24);
  const kept = readdirSync(FIXTURES).filter((f) => f.endsWith('.gcode'));
  assert.deepEqual([...kept, ...Object.keys(NOT_REDISTRIBUTED)].sort(), Object.keys(GOLDEN).sort());
});

for (const [file, expected] of Object.entries(GOLDEN)) {
  const path = samplePath(file);
  test(`metadata of ${file}`, { skip: path === undefined ? NOT_REDISTRIBUTED[file] : false }, () => {
    const { head, tail, size } = readEnds(path as string);
    const { thumbnails, ...fields } = extractMetadata(head, tail, size);
    const { thumbs, ...want } = expected;
    assert.deepEqual(fields, want);
    assert.deepEqual(
      (thumbnails ?? []).map((t) => `${t.width}x${t.height}`),
      thumbs,
    );
    for (const t of thumbnails ?? []) {
      assert.equal(t.size, t.data.length);
      const bytes = Buffer.from(t.data, 'base64');
      const png = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
      assert.ok(png || jpeg, `${file} ${t.width}x${t.height} is neither PNG nor JPEG`);
      if (png) {
        assert.equal(bytes.readUInt32BE(16), t.width);
        assert.equal(bytes.readUInt32BE(20), t.height);
      }
    }
  });
}

test('a truncated or corrupt file gives partial metadata, never an error', () => {
  const { head } = readEnds(sample('prusaslicer-2.7.4_plant-sign.gcode'));
  // Cut in the middle of the second thumbnail: identity survives, the broken thumbnail is dropped.
  const cut = head.slice(0, 3000);
  const m = extractMetadata(cut, cut);
  assert.equal(m.slicer, 'PrusaSlicer');
  assert.deepEqual(m.thumbnails?.map((t) => t.width), [16]);
  // Binary garbage.
  const junk = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)).toString('latin1');
  assert.deepEqual(extractMetadata(junk, junk), { slicer: 'Unknown' });
  assert.deepEqual(extractMetadata('', ''), { slicer: 'Unknown' });
  // A thumbnail whose declared length lies is skipped, the others kept.
  const lying = '; thumbnail begin 2x2 10\n; AAAA\n; thumbnail end\n';
  assert.equal(extractMetadata(lying, lying).thumbnails, undefined);
});

test('an unknown slicer: first layer and height from extruding moves, temperatures from the start gcode', () => {
  const g = ['M190 S60', 'M104 S150', 'M109 S215', 'G28', 'G1 Z5 F3000', 'G92 E0', 'G1 X10 Y10 Z0.25 E1.2', 'G1 X20 E2.4',
    'G1 Z0.45', 'G1 X10 E3.5', 'G1 Z0.65', 'G1 X20 E4.6', 'G1 E3', 'G1 Z50 F600', 'G1 X0 Y200'].join('\n');
  // The file starts with a command and its last line (no "\n") is one: the gcode is all of it.
  assert.deepEqual(extractMetadata(g, g), {
    slicer: 'Unknown', first_layer_height: 0.25, object_height: 0.65, first_layer_bed_temp: 60, first_layer_extr_temp: 215,
    gcode_start_byte: 0, gcode_end_byte: g.length,
  });
});

test('a PrusaSlicer fork not named here is known by its banner, and read as the family', () => {
  const g = ['; generated by QIDISlicer 1.1.2 on 2024-03-01 at 10:00:00 UTC', 'G28', 'G1 X1 Y1 Z0.2 E1', '; layer_height = 0.25',
    '; nozzle_diameter = 0.6', '; filament_type = PETG', ''].join('\n');
  const m = extractMetadata(g, g);
  assert.deepEqual([m.slicer, m.slicer_version, m.layer_height, m.nozzle_diameter, m.filament_type], ['QIDISlicer', '1.1.2', 0.25, 0.6, 'PETG']);
  const simply = '; Generated by Kiri:Moto (SimplyPrint) 4.1.5\nG28\n';
  assert.deepEqual([extractMetadata(simply, simply).slicer, extractMetadata(simply, simply).slicer_version], ['SimplyPrint', '4.1.5']);
});
