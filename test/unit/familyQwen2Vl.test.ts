// Qwen2-VL / Qwen2.5-VL geometry: smart_resize against values printed by transformers' own
// qwen2_vl.image_processing_qwen2_vl.smart_resize (4.57.3), the processor's patch order, window ids, and the
// messages for images and processor settings the family refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { getFamily } from '../../src/engine/families/registry';
import { parseQwen2Vl, patchify, qwen2Vl, roundHalfEven, smartResize, type Qwen2VlConfig } from '../../src/engine/families/qwen2-vl/geometry';

const PP = { min_pixels: 3136, max_pixels: 1003520, patch_size: 14, merge_size: 2, temporal_patch_size: 2, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] };
const cfg = (extra: Record<string, unknown> = {}, geometry: Record<string, unknown> = {}): Qwen2VlConfig => parseQwen2Vl({ ...PP, ...extra }, geometry, 'preprocessor_config.json', 14);

// [height, width, min_pixels, max_pixels, transformers' [height, width]]
const GOLDEN: [number, number, number, number, [number, number]][] = [
  [70, 126, 3136, 12845056, [56, 112]],
  [42, 42, 3136, 12845056, [56, 56]],
  [98, 98, 3136, 12845056, [112, 112]],
  [1, 1, 3136, 12845056, [56, 56]],
  [10, 20, 3136, 12845056, [56, 84]],
  [1000, 5, 3136, 12845056, [812, 28]],
  [5, 1000, 3136, 12845056, [28, 812]],
  [3000, 4000, 3136, 12845056, [2996, 4004]],
  [3000, 4000, 3136, 1003520, [840, 1148]],
  [480, 640, 3136, 1003520, [476, 644]],
  [1080, 1920, 3136, 1003520, [728, 1316]],
  [7, 1400, 3136, 1003520, [28, 812]],
  [2, 399, 3136, 1003520, [28, 812]],
  [100, 19999, 3136, 1003520, [56, 14140]],
  [28, 28, 3136, 1003520, [56, 56]],
  [84, 84, 9000, 9000, [112, 112]],
];

test('smart_resize gives transformers\' sizes, half-to-even rounding and both limits included', () => {
  for (const [h, w, mn, mx, [eh, ew]] of GOLDEN) {
    assert.deepEqual(smartResize(h, w, 28, mn, mx), { height: eh, width: ew }, `${h}×${w} within ${mn}…${mx}`);
  }
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001].map(roundHalfEven), [0, 2, 2, 4, 2, 3]);
});

test('EXPECTED FAILURE - an aspect ratio over 200 is refused with the limit; 200 exactly is not', () => {
  assert.throws(() => smartResize(2, 402, 28, 3136, 1003520), { message: /201\.0:1 is over Qwen2-VL's limit of 200:1/ });
  assert.throws(() => qwen2Vl.views({ width: 3, height: 700 }, cfg()), { message: /233\.3:1 .*limit of 200:1/ });
  assert.deepEqual(smartResize(2, 400, 28, 3136, 1003520), { height: 28, width: 812 }); // transformers: (28, 812)
});

test('one view: the resize to the smart_resize size, labelled with the limits', () => {
  const [v] = qwen2Vl.views({ width: 126, height: 70 }, cfg({ max_pixels: 12845056 }));
  assert.equal(v.id, 'image');
  assert.deepEqual([v.width, v.height], [112, 56]);
  assert.deepEqual(v.ops, [{ op: 'resize', width: 112, height: 56, kernel: 'cubic' }]);
  assert.match(v.label, /112×56 \(resized from 126×70; 28 px multiples, 3136–12845056 px\)/);
  assert.deepEqual(qwen2Vl.viewGrid(v, cfg(), 8), { rows: 2, cols: 4 });
  assert.throws(() => qwen2Vl.viewGrid(v, cfg(), 32), { message: /returned 32 tokens .* 2×4 = 8/ });
});

test('do_resize off: multiples of 28 pass unchanged, anything else is refused', () => {
  const [v] = qwen2Vl.views({ width: 56, height: 84 }, cfg({ do_resize: false }));
  assert.deepEqual([v.width, v.height, v.ops.length], [56, 84, 0]);
  assert.throws(() => qwen2Vl.views({ width: 50, height: 84 }, cfg({ do_resize: false })), { message: /must be multiples of 28 px/ });
});

test('the processor\'s settings: min/max_pixels win over size, then size, then the defaults', () => {
  assert.deepEqual([cfg().minPixels, cfg().maxPixels], [3136, 1003520]);
  const fromSize = parseQwen2Vl({ size: { shortest_edge: 100, longest_edge: 200000 } }, {}, 'pp', 14);
  assert.deepEqual([fromSize.minPixels, fromSize.maxPixels, fromSize.mergeSize, fromSize.temporalPatchSize], [100, 200000, 2, 2]);
  const defaults = parseQwen2Vl({}, {}, 'pp', 14);
  assert.deepEqual([defaults.minPixels, defaults.maxPixels], [56 * 56, 28 * 28 * 1280]);
  assert.equal(cfg({}, { windowMergeUnits: 4 }).windowMergeUnits, 4);
  assert.equal(cfg().windowMergeUnits, null);
});

test('EXPECTED FAILURE - settings the family does not understand name the field and the fix', () => {
  assert.throws(() => cfg({ size: { height: 28, width: 28 } }), { message: /"size" must hold "shortest_edge" and "longest_edge"/ });
  assert.throws(() => cfg({ min_pixels: 2e6 }), { message: /min_pixels 2000000 is larger than max_pixels 1003520/ });
  assert.throws(() => cfg({ patch_size: 16 }, { patchSize: 14 }), { message: /patchSize 16 differs from the exported tower's 14/ });
  assert.throws(() => cfg({ merge_size: 0 }), { message: /merge_size must be a whole number ≥ 1, got 0/ });
  assert.throws(() => cfg({}, { windowMergeUnits: 2.5 }), { message: /windowMergeUnits must be a whole number ≥ 1 or null/ });
  assert.throws(() => parseQwen2Vl(PP, {}, 'pp', 16), { message: /patch_size 14 differs from manifest.json \/imageEncoder\/patchSize 16/ });
});

/** Qwen2VLImageProcessor._preprocess's reshape + transpose(0, 3, 6, 4, 7, 2, 1, 5, 8), spelt as index arithmetic. */
function processorOrder(pixels: Float32Array, width: number, height: number, p: number, m: number, T: number): Float32Array {
  const gh = height / p;
  const gw = width / p;
  const out: number[] = [];
  for (let bh = 0; bh < gh / m; bh++) for (let bw = 0; bw < gw / m; bw++) for (let mh = 0; mh < m; mh++) for (let mw = 0; mw < m; mw++) {
    for (let c = 0; c < 3; c++) for (let t = 0; t < T; t++) for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) {
      const yy = (bh * m + mh) * p + y;
      const xx = (bw * m + mw) * p + x;
      out.push(pixels[c * width * height + yy * width + xx]); // every temporal slot holds the one frame
    }
  }
  return Float32Array.from(out);
}

test('patchify lists the patches in the processor\'s order, with each patch\'s (row, col)', () => {
  const c = cfg();
  const [w, h] = [84, 56];
  const px = Float32Array.from({ length: 3 * w * h }, (_, i) => i);
  const f = patchify(px, w, h, c);
  assert.equal(f.count, 24);
  assert.equal(f.width, 3 * 2 * 14 * 14);
  assert.deepEqual(f.patches, processorOrder(px, w, h, 14, 2, 2));
  const pos = Array.from(f.pos, Number);
  // merge window (0, 0): patches (0,0) (0,1) (1,0) (1,1); then window (0, 1) starts at column 2
  assert.deepEqual(pos.slice(0, 10), [0, 0, 0, 1, 1, 0, 1, 1, 0, 2]);
  assert.deepEqual(pos.slice(-2), [3, 5]);
});

test('window ids: Qwen2.5-VL windows of 2 × 2 merge units, partial windows at the right and bottom', () => {
  const c = cfg({}, { windowMergeUnits: 2 });
  // 6 × 4 patches = 3 × 2 merge units: windows [0 0 1] across, one row of windows
  const f = patchify(new Float32Array(3 * 84 * 56), 84, 56, c);
  const perUnit = Array.from(f.windows, Number).filter((_, i) => i % 4 === 0);
  assert.deepEqual(perUnit, [0, 0, 1, 0, 0, 1]);
  // 10 × 6 merge units with windows of 4: 3 windows across, 2 down
  const g = patchify(new Float32Array(3 * 280 * 168), 280, 168, cfg({}, { windowMergeUnits: 4 }));
  const units = Array.from(g.windows, Number).filter((_, i) => i % 4 === 0);
  assert.deepEqual(units.slice(0, 10), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
  assert.deepEqual(units.slice(40, 50), [3, 3, 3, 3, 4, 4, 4, 4, 5, 5]);
});

test('encoder feeds: patches, pos_ids, and window_ids only where the tower has windows', () => {
  const view = { id: 'image', label: '', ops: [], width: 56, height: 28 };
  const px = new Float32Array(3 * 56 * 28);
  const full = qwen2Vl.encoderFeeds!(px, view, cfg(), 'pixel_values', ort);
  assert.deepEqual(Object.keys(full).sort(), ['pixel_values', 'pos_ids']);
  assert.deepEqual(full.pixel_values.dims, [8, 1176]);
  assert.equal(full.pos_ids.type, 'int64');
  const windowed = qwen2Vl.encoderFeeds!(px, view, cfg({}, { windowMergeUnits: 4 }), 'pixel_values', ort);
  assert.deepEqual(windowed.window_ids.dims, [8]);
});

test('the registry knows the family by the id pack init writes', () => {
  assert.equal(getFamily('qwen2-vl').title, 'Qwen2-VL / Qwen2.5-VL');
});
