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
    slicer: 'BambuStudio', slicer_version: '01.10.02.76', first_layer_height: 0.2, layer_height: 0.2, object_height: 5,
    estimated_time: 785, filament_total: 1503.61, first_layer_bed_temp: 60, first_layer_extr_temp: 220, thumbs: ['96x96', '300x300'],
  },
  'creality-print-5.1.4.gcode': {
    // "estimated printing time (normal mode) = 39m 45s" (M73 R39 agrees), not the "39m 16s" line.
    slicer: 'Creality Print', slicer_version: 'V5.1.4.10249', first_layer_height: 0.2, layer_height: 0.2, object_height: 4,
    estimated_time: 2385, filament_total: 10882.04, first_layer_bed_temp: 60, first_layer_extr_temp: 220, thumbs: [],
  },
  'cura-2.3.1_puzzle.gcode': {
    // No summary header but ;TIME: the heights come from ;SETTING_3 and the last layer (LAYER:118 at Z23.8);
    // it states no filament total.
    slicer: 'Cura', slicer_version: '2.3.1', first_layer_height: 0.2, layer_height: 0.2, object_height: 23.8,
    estimated_time: 3485, first_layer_bed_temp: 50, first_layer_extr_temp: 195, thumbs: [],
  },
  'cura-4.10.0.gcode': {
    // Temperatures from the start macro: PRINT_START BED=110 EXTRUDER=235.
    slicer: 'Cura', slicer_version: '4.10.0', first_layer_height: 0.2, layer_height: 0.2, object_height: 5.2,
    estimated_time: 451, filament_total: 273.87, first_layer_bed_temp: 110, first_layer_extr_temp: 235, thumbs: [],
  },
  'cura-4.13.1_qoi-thumb.gcode': {
    // A stub without moves: temperatures from ;SETTING_3, where the extruder's
    // material_print_temperature_layer_0 (215) overrides the global one (200).
    slicer: 'Cura', slicer_version: '4.13.1', first_layer_height: 0.2, layer_height: 0.15, object_height: 7.55,
    estimated_time: 4199, filament_total: 3579.83, first_layer_bed_temp: 60, first_layer_extr_temp: 215, thumbs: ['48x48', '128x128'],
  },
  'cura-5.9.1.gcode': {
    slicer: 'Cura', slicer_version: '5.9.1', first_layer_height: 0.2, layer_height: 0.2, object_height: 5,
    estimated_time: 2848, filament_total: 1677.14, first_layer_bed_temp: 60, first_layer_extr_temp: 200, thumbs: [],
  },
  'icesl-2021-09-08.gcode': {
    // The config says z_layer_height_first_layer_mm 0.3, but the first "; <layer>" prints at Z0.12;
    // the last layer is at Z5.04. No time or filament is stated.
    slicer: 'IceSL', slicer_version: 'Sep 8 2021 17:53:41', first_layer_height: 0.12, layer_height: 0.12, object_height: 5.04,
    first_layer_bed_temp: 110, first_layer_extr_temp: 245, thumbs: [],
  },
  'ideamaker-4.2.0.gcode': {
    // Raft layers are negative (;LAYER:-2, -1); LAYER:0 is 0.3 thick, LAYER:1 0.15; Bounding Box max z 9.32.
    slicer: 'IdeaMaker', slicer_version: '4.2.0.5250', first_layer_height: 0.3, layer_height: 0.15, object_height: 9.32,
    estimated_time: 744, filament_total: 422.7, first_layer_bed_temp: 60, first_layer_extr_temp: 215, thumbs: [],
  },
  'ideamaker-5.1.4.gcode': {
    slicer: 'IdeaMaker', slicer_version: '5.1.4.8480', first_layer_height: 0.3, layer_height: 0.25, object_height: 5.05,
    estimated_time: 1835, filament_total: 1643.4, first_layer_bed_temp: 55, first_layer_extr_temp: 215, thumbs: [],
  },
  'kirimoto-3.0.gcode': {
    // ";; --- layer 0 (0.250 @ 0.255) ---" … "layer 24 (0.200 @ 5.05)"; outputTemp/outputBedTemp.
    slicer: 'KiriMoto', slicer_version: '3.0.D24', first_layer_height: 0.25, layer_height: 0.2, object_height: 5.05,
    estimated_time: 806, filament_total: 225.03, first_layer_bed_temp: 70, first_layer_extr_temp: 210, thumbs: [],
  },
  'kisslicer-1.1.0.14_cube.gcode': {
    // First layer object at z=0.50, then every 0.25 to 10.25; "Estimated Build Time: 7.01 minutes";
    // only a volume is stated, no filament length.
    slicer: 'KISSlicer', slicer_version: '1.1.0.14', first_layer_height: 0.5, layer_height: 0.25, object_height: 10.25,
    estimated_time: 420.6, first_layer_bed_temp: 80, first_layer_extr_temp: 255, thumbs: [],
  },
  'kisslicer-1.6.3.gcode': {
    // The layers printed are z_thickness=0.278 (18 layers to 5.000), whatever the profile's 0.2/0.268 say.
    slicer: 'KISSlicer', slicer_version: '1.6.3-Release-Win64', first_layer_height: 0.278, layer_height: 0.278, object_height: 5,
    estimated_time: 476.4, filament_total: 298.83, first_layer_bed_temp: 43, first_layer_extr_temp: 195, thumbs: [],
  },
  'kisslicer-2.0.6.gcode': {
    // Two objects sliced at 0.263 and 0.278; the first layer printed is 0.263, the most common thickness 0.263.
    slicer: 'KISSlicer', slicer_version: '2-a-2.0.6-Win64', first_layer_height: 0.263, layer_height: 0.263, object_height: 5,
    estimated_time: 610.8, filament_total: 305.09, first_layer_bed_temp: 43, first_layer_extr_temp: 195, thumbs: [],
  },
  'orcaslicer-2.3.0-beta2.gcode': {
    // "filament used [mm] = 0.00, 32105.52": the second extruder printed everything.
    slicer: 'OrcaSlicer', slicer_version: '2.3.0-beta2', first_layer_height: 0.2, layer_height: 0.2, object_height: 38,
    estimated_time: 5563, filament_total: 32105.52, first_layer_bed_temp: 50, first_layer_extr_temp: 220, thumbs: ['96x96', '300x300'],
  },
  'prusaslicer-2.4.1_jpg-thumbs.gcode': {
    // A stub: a JPEG thumbnail and the config, no moves, no time or filament summary.
    slicer: 'PrusaSlicer', slicer_version: '2.4.1-beta1+n8', first_layer_height: 0.2, layer_height: 0.2,
    first_layer_bed_temp: 80, first_layer_extr_temp: 225, thumbs: ['160x160'],
  },
  'prusaslicer-2.7.4_plant-sign.gcode': {
    // First M104 is a 150 °C "prevent oozing" step; the config's first_layer_temperature is 210.
    slicer: 'PrusaSlicer', slicer_version: '2.7.4+MacOS-x64', first_layer_height: 0.3, layer_height: 0.3, object_height: 3.9,
    estimated_time: 1634, filament_total: 1645, first_layer_bed_temp: 60, first_layer_extr_temp: 210, thumbs: ['16x16', '220x124'],
  },
  'prusaslicer-2.8.1_qoi-thumbs.gcode': {
    // "; redacted GCODE": no layers, so no object height (the end gcode's Z28.8 park is not the part).
    // Four QOI thumbnails (served as PNG) and one PNG.
    slicer: 'PrusaSlicer', slicer_version: '2.8.1+win64', first_layer_height: 0.2, layer_height: 0.2,
    estimated_time: 1822, filament_total: 3269.4, first_layer_bed_temp: 60, first_layer_extr_temp: 230,
    thumbs: ['16x16', '313x173', '440x240', '480x240', '640x480'],
  },
  'simplify3d-4.1.2.gcode': {
    // firstLayerHeightPercentage 200 of 0.24; last "; layer 49, Z = 12.000" (Z12.1 moves are Z-lift);
    // "Build time: 0 hours 31 minutes".
    slicer: 'Simplify3D', slicer_version: '4.1.2', first_layer_height: 0.48, layer_height: 0.24, object_height: 12,
    estimated_time: 1860, filament_total: 4375.5, first_layer_bed_temp: 65, first_layer_extr_temp: 220, thumbs: [],
  },
  'simplify3d-5.1.2_thumbs.gcode': {
    // ";TIME:191.00" from the start script is exact where "Build Time: 0 hours 3 minutes" is rounded;
    // its ";Layer height: 0.3000" is the first layer's, the profile's layerHeight is 0.1.
    slicer: 'Simplify3D', slicer_version: '5.1.2', first_layer_height: 0.3, layer_height: 0.1, object_height: 5,
    estimated_time: 191, filament_total: 291.4, first_layer_bed_temp: 110, first_layer_extr_temp: 260, thumbs: ['96x96', '300x300'],
  },
  'slic3r-1.2.9.gcode': {
    // temperature = 0 in the config: the start gcode sets the tool with "G10 P0 S195 R160".
    // "filament used = 1482.1mm, 34.4mm" (two extruders); last layer at Z23.1.
    slicer: 'Slic3r', slicer_version: '1.2.9', first_layer_height: 0.3, layer_height: 0.3, object_height: 23.1,
    filament_total: 1516.5, first_layer_bed_temp: 57, first_layer_extr_temp: 195, thumbs: [],
  },
  'slic3r-1.3.1-dev.gcode': {
    // No bed heating anywhere (first_layer_bed_temperature = 0); no time or filament summary.
    slicer: 'Slic3r', slicer_version: '1.3.1-dev (Build b1a5500f427700ac3dffc0e7d9535ea65f993537)', first_layer_height: 0.4,
    layer_height: 0.3, object_height: 4.9, first_layer_bed_temp: 0, first_layer_extr_temp: 205, thumbs: [],
  },
  'slic3r-pe-1.36.2_duplo.gcode': {
    // first_layer_height = 66% of 0.3 = 0.198 (G1 Z0.198); last layer Z13.998.
    slicer: 'Slic3r PE', slicer_version: '1.36.2-prusa3d', first_layer_height: 0.198, layer_height: 0.3, object_height: 13.998,
    filament_total: 12349.1, first_layer_bed_temp: 50, first_layer_extr_temp: 200, thumbs: [],
  },
  'superslicer-2.3.56.gcode': {
    // ArcWelder's banner comes first; the slicer line follows it.
    slicer: 'SuperSlicer', slicer_version: '2.3.56', first_layer_height: 0.2, layer_height: 0.2, object_height: 5,
    estimated_time: 439, filament_total: 264.59, first_layer_bed_temp: 110, first_layer_extr_temp: 240, thumbs: ['64x64', '400x300'],
  },
  'superslicer-2.4_tapered-cube.gcode': {
    // No config block at the end: heights from ;HEIGHT:/;Z: markers, temperatures from print_start.
    slicer: 'SuperSlicer', slicer_version: '2.4', first_layer_height: 0.2, layer_height: 0.2, object_height: 10,
    first_layer_bed_temp: 110, first_layer_extr_temp: 240, thumbs: [],
  },
};

function readEnds(file: string): { head: string; tail: string } {
  const buf = readFileSync(file);
  return {
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
    const { head, tail } = readEnds(path as string);
    const { thumbnails, ...fields } = extractMetadata(head, tail);
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
  assert.deepEqual(extractMetadata(g, g), {
    slicer: 'Unknown', first_layer_height: 0.25, object_height: 0.65, first_layer_bed_temp: 60, first_layer_extr_temp: 215,
  });
});
