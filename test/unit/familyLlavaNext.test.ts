// LLaVA-NeXT (anyres) geometry at LLaVA-NeXT-7B's (CLIP-L/14-336, the default pinpoints): the best
// resolution, canvas size and token count against values printed by transformers 4.57.3's own
// select_best_resolution, get_patch_output_size and LlavaNextProcessor._get_number_of_features; the views'
// pixel operations; the layout (base, unpadded tile rows, newlines); the boxes of unpadding measured over many
// sizes; and the messages for processor settings the family refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { viewAffine, toImageBox } from '../../src/engine/families/imageViews';
import { anyresCanvas, llavaNext, parseLlavaNext, selectBestResolution, unpadRange, type LlavaNextConfig } from '../../src/engine/families/llava-next/geometry';
import { getFamily } from '../../src/engine/families/registry';

const PP = {
  size: { shortest_edge: 336 }, crop_size: { height: 336, width: 336 }, resample: 3,
  image_grid_pinpoints: [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]],
  image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711],
};
const cfg = (extra: Record<string, unknown> = {}, geometry: Record<string, unknown> = { tileSize: 336 }): LlavaNextConfig =>
  parseLlavaNext({ ...PP, ...extra }, geometry, 'preprocessor_config.json', 14);

// [height, width, best [h, w], resized [h, w], LlavaNextProcessor's token count] (transformers 4.57.3)
const GOLDEN: [number, number, [number, number], [number, number], number][] = [
  [672, 672, [672, 672], [672, 672], 2928],
  [336, 336, [336, 672], [336, 336], 1176],
  [480, 640, [672, 672], [504, 672], 2340],
  [640, 480, [672, 672], [672, 504], 2352],
  [1080, 1920, [672, 672], [378, 672], 1948],
  [1920, 1080, [672, 672], [672, 378], 1968],
  [1, 1, [336, 672], [336, 336], 1176],
  [3, 5, [336, 672], [336, 560], 1560],
  [10, 1000, [336, 1008], [11, 1008], 576],
  [1000, 10, [1008, 336], [1008, 11], 648],
  [2, 4000, [336, 672], [1, 672], 576],
  [4000, 2, [336, 672], [336, 1], 600],
  [336, 1008, [336, 1008], [336, 1008], 2328],
  [700, 300, [1008, 336], [785, 336], 1976],
  [333, 777, [336, 1008], [336, 784], 1944],
  [1234, 567, [1008, 336], [732, 336], 1876],
  [100, 100, [336, 672], [336, 336], 1176],
  [5000, 5000, [672, 672], [672, 672], 2928],
];

const grids = (n: number) => Array.from({ length: n }, () => ({ rows: 24, cols: 24 }));

test('best resolution, canvas and token count equal transformers\' for every golden size', () => {
  const c = cfg();
  for (const [h, w, best, resized, count] of GOLDEN) {
    const size = { width: w, height: h };
    assert.deepEqual(selectBestResolution(size, c.pinpoints), best, `${w}×${h}: best resolution`);
    const cv = anyresCanvas(size, c);
    assert.deepEqual([cv.inner.height, cv.inner.width], resized, `${w}×${h}: resized size`);
    const views = llavaNext.views(size, c);
    assert.equal(views.length, 1 + (best[0] / 336) * (best[1] / 336));
    assert.equal(llavaNext.layout!(views, grids(views.length), c, size).length, count, `${w}×${h}: token count`);
  }
});

test('672×672 at LLaVA-NeXT-7B geometry: 576 base + 2,304 tile tokens + 48 newlines, in the model\'s order', () => {
  const c = cfg();
  const size = { width: 672, height: 672 };
  const views = llavaNext.views(size, c);
  assert.deepEqual(views.map((v) => v.id), ['base', 'tile-0-0', 'tile-0-1', 'tile-1-0', 'tile-1-1']);
  assert.deepEqual(views[0].ops, [{ op: 'resize', width: 336, height: 336, kernel: 'cubic' }, { op: 'resize', width: 336, height: 336, kernel: 'cubic' }, { op: 'crop', x: 0, y: 0, width: 336, height: 336 }]);
  assert.deepEqual(views[2].ops.slice(0, 3), [
    { op: 'resize', width: 672, height: 672, kernel: 'cubic' },
    { op: 'pad', width: 672, height: 672, left: 0, top: 0, fill: [0, 0, 0] },
    { op: 'crop', x: 336, y: 0, width: 336, height: 336 },
  ]);
  const layout = llavaNext.layout!(views, grids(5), c, size);
  const kinds = layout.map((e) => ('extra' in e ? 'newline' : 'patch'));
  assert.equal(kinds.filter((k) => k === 'patch').length, 2880);
  assert.equal(kinds.filter((k) => k === 'newline').length, 48);
  // Row 0 of the combined grid: tile 0-0's row 0 (24 tokens), tile 0-1's row 0, then the newline.
  const row0 = layout.slice(576, 576 + 49);
  assert.deepEqual(row0.slice(0, 24).map((e) => ('extra' in e ? -1 : e.view)), Array(24).fill(1));
  assert.deepEqual(row0.slice(24, 48).map((e) => ('extra' in e ? -1 : [e.view, e.index])), Array.from({ length: 24 }, (_, i) => [2, i]));
  assert.deepEqual(row0[48], { view: 2, extra: 'newline', row: 0, kind: 'newline' });
  // Row 24 starts in the second tile row.
  const e = layout[576 + 24 * 49];
  assert.ok(!('extra' in e) && e.view === 3 && e.index === 0);
});

test('unpadding: wide images drop whole padding rows, tall ones columns, symmetrically as the model slices', () => {
  assert.deepEqual(unpadRange({ width: 640, height: 480 }, 48, 48), { r0: 6, r1: 42, c0: 0, c1: 48 });
  assert.deepEqual(unpadRange({ width: 480, height: 640 }, 48, 48), { r0: 0, r1: 48, c0: 6, c1: 42 });
  // 11 of 72 rows hold image: an odd surplus keeps one padding row more below (the model's [p : rows − p]).
  assert.deepEqual(unpadRange({ width: 1000, height: 10 }, 24, 72), { r0: 12, r1: 12, c0: 0, c1: 72 });
  assert.deepEqual(unpadRange({ width: 10, height: 1000 }, 72, 24), { r0: 0, r1: 72, c0: 12, c1: 12 });
});

test('extreme aspect ratios: no tile row left means base tokens only; no column left means newlines only', () => {
  const c = cfg();
  const wide = { width: 1000, height: 10 };
  const lw = llavaNext.layout!(llavaNext.views(wide, c), grids(4), c, wide);
  assert.equal(lw.length, 576);
  const tall = { width: 10, height: 1000 };
  const lt = llavaNext.layout!(llavaNext.views(tall, c), grids(4), c, tall);
  assert.equal(lt.length, 576 + 72);
  assert.ok(lt.slice(576).every((e) => 'extra' in e && e.kind === 'newline'));
});

/** Fraction of a canvas token (row R, col C of the combined grid) that holds image, from the view's pixel ops. */
function coverage(views: ReturnType<typeof llavaNext.views>, cols: number, size: { width: number; height: number }, R: number, C: number): { area: number; box: ReturnType<typeof toImageBox> } {
  const v = views[1 + Math.floor(R / 24) * cols + Math.floor(C / 24)];
  const a = viewAffine(v.ops, size);
  const box = toImageBox(a, (C % 24) * 14, (R % 24) * 14, 14, 14, size);
  return { area: box ? (box.w * box.h) / (a.sx * 14 * a.sy * 14) : 0, box };
}

test('unpadding never keeps a token over padding only, and drops at most half a token of image (over 1,600 sizes)', () => {
  const c = cfg();
  let worst = 0;
  for (let w = 1; w < 2000; w += 53) {
    for (let h = 1; h < 2000; h += 47) {
      const size = { width: w, height: h };
      const views = llavaNext.views(size, c);
      const cv = anyresCanvas(size, c);
      const layout = llavaNext.layout!(views, grids(views.length), c, size);
      const kept = new Set(layout.filter((e) => !('extra' in e) && e.view > 0).map((e) => {
        const t = e.view - 1;
        return `${Math.floor(t / cv.cols) * 24 + (e as { row: number }).row},${(t % cv.cols) * 24 + (e as { col: number }).col}`;
      }));
      for (let R = 0; R < cv.rows * 24; R++) {
        for (let C = 0; C < cv.cols * 24; C++) {
          const { area, box } = coverage(views, cv.cols, size, R, C);
          if (kept.has(`${R},${C}`)) assert.ok(box && area > 0, `${w}×${h}: kept token ${R},${C} covers only padding`);
          else worst = Math.max(worst, area);
        }
      }
    }
  }
  assert.ok(worst <= 0.5 + 1e-9, `a dropped token holds ${worst} of a token of image`);
});

test('non-square images: tiles sit on the centred, padded canvas and map back onto the image', () => {
  const c = cfg();
  const size = { width: 640, height: 480 };
  const views = llavaNext.views(size, c);
  // 640×480 → 672×504 on a 672×672 canvas, 84 px of black above and below.
  assert.deepEqual(views[1].ops[1], { op: 'pad', width: 672, height: 672, left: 0, top: 84, fill: [0, 0, 0] });
  const a = viewAffine(views[3].ops, size);   // tile-1-0
  // In tile-1-0 (canvas rows 336–671) the image ends at canvas row 588 = tile row 252.
  assert.ok(toImageBox(a, 0, 251, 14, 1, size), 'tile row 251 is image');
  assert.equal(toImageBox(a, 0, 252, 14, 1, size), undefined, 'tile row 252 is padding, outside the image');
  const b = toImageBox(a, 0, 0, 336, 336, size);
  assert.ok(b && Math.abs(b.x) < 1e-9 && Math.abs(b.y - 240) < 1e-6 && Math.abs(b.h - 240) < 1e-6 && Math.abs(b.w - 320) < 1e-6, JSON.stringify(b));
});

test('the family is registered and its newline is a learned extra', () => {
  assert.equal(getFamily('llava-next'), llavaNext);
  assert.deepEqual(llavaNext.extras, ['newline']);
  assert.deepEqual(llavaNext.viewGrid(llavaNext.views({ width: 10, height: 10 }, cfg())[0], cfg(), 576), { rows: 24, cols: 24 });
  assert.throws(() => llavaNext.viewGrid(llavaNext.views({ width: 10, height: 10 }, cfg())[0], cfg(), 577), /577 tokens.*one token per patch/);
});

test('BAD CONFIG - settings the family cannot place are refused with the fix', () => {
  assert.throws(() => cfg({ image_grid_pinpoints: [[336, 600]] }, {}), /\[336, 600\] is not a multiple of the tile size 336/);
  assert.throws(() => cfg({}, { image_grid_pinpoints: [[336, 672]] }), /differ from the model's \(config\.json\)/);
  assert.throws(() => cfg({ image_grid_pinpoints: 'anyres' }, {}), /list of \[height, width\] pairs/);
  assert.throws(() => cfg({ size: { longest_edge: 336 } }), /longest_edge.*not a LLaVA-NeXT setting/);
  assert.throws(() => cfg({ crop_size: { height: 224, width: 224 }, size: { shortest_edge: 224 }, image_grid_pinpoints: [[448, 448]] }), /views come out 224×224, but the model's vision tower takes 336×336/);
  assert.throws(() => cfg({ crop_size: { height: 330, width: 330 }, size: { shortest_edge: 330 }, image_grid_pinpoints: [[330, 660]] }, {}), /330×330 is not a multiple of the patch size 14/);
});
