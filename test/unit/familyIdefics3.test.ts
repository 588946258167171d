// Idefics3 / SmolVLM tiling arithmetic: longest-edge resize (short side rounded up to even, 4096 cap), the tile
// canvas (both sides up to multiples of max_image_size), rows × cols tiles + the global image, and the settings
// the family refuses. Expected sizes are those of transformers 4.57.3's own functions
// (_resize_output_size_rescale_to_max_len, _resize_output_size_scale_below_upper_bound, resize_for_vision_encoder)
// for the same inputs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idefics3, longestEdgeSize, parseIdefics3, tileCanvasSize } from '../../src/engine/families/idefics3/geometry';
import { viewAffine } from '../../src/engine/families/imageViews';

const PP = { size: { longest_edge: 1456 }, max_image_size: { longest_edge: 364 }, resample: 1, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] };
const GEO = { scaleFactor: 2, tileSize: 364 };   // Idefics3-8B: 26 × 26 patches → 13 × 13 = 169 tokens
const cfg = (over: Record<string, unknown> = {}, geo: Record<string, unknown> = GEO) => parseIdefics3({ ...PP, ...over }, geo, 'preprocessor_config.json', 14);

describe('Idefics3 sizes (the processor\'s arithmetic)', () => {
  const cases: [number, number, number, number, [number, number], [number, number]][] = [
    // width, height, longest_edge, tile → resized, canvas
    [1000, 750, 1456, 364, [1456, 1092], [1456, 1092]],
    [1, 1, 1456, 364, [1456, 1456], [1456, 1456]],
    [5000, 10, 1456, 364, [1456, 2], [1456, 364]],
    [10, 5000, 1456, 364, [2, 1456], [364, 1456]],
    [8000, 6000, 8192, 512, [4096, 3072], [4096, 3072]],
    [365, 100, 1456, 364, [1456, 398], [1456, 728]],
    [1457, 1, 1456, 364, [1456, 1], [1456, 364]],
    [99, 101, 1456, 364, [1428, 1456], [1456, 1456]],
  ];
  for (const [w, h, L, M, resized, canvas] of cases) {
    it(`${w}×${h}, longest edge ${L}, tiles of ${M}`, () => {
      const r = longestEdgeSize(w, h, L);
      assert.deepEqual([r.width, r.height], resized);
      const c = tileCanvasSize(r.width, r.height, M);
      assert.deepEqual([c.width, c.height], canvas);
    });
  }
});

describe('Idefics3 views', () => {
  it('a 4:3 photo: 4 × 3 tiles of 364 px row by row, then the global image; tiles cover the canvas', () => {
    const views = idefics3.views({ width: 1000, height: 750 }, cfg());
    assert.equal(views.length, 13);
    assert.deepEqual(views.slice(0, 5).map((v) => v.id), ['tile-0-0', 'tile-0-1', 'tile-0-2', 'tile-0-3', 'tile-1-0']);
    assert.equal(views[12].id, 'global');
    for (const v of views) assert.deepEqual([v.width, v.height], [364, 364]);
    // Three resizes for the global image (longest edge, canvas, one tile), as the processor does them.
    assert.deepEqual(views[12].ops.map((o) => o.op), ['resize', 'resize', 'resize']);
    const a = viewAffine(views[5].ops, { width: 1000, height: 750 });   // tile 1, 1
    assert.ok(Math.abs(a.x0 - (364 * 1000) / 1456) < 1e-9 && Math.abs(a.y0 - (364 * 750) / 1092) < 1e-9);
    const g = viewAffine(views[12].ops, { width: 1000, height: 750 });
    assert.ok(Math.abs(g.sx * 364 - 1000) < 1e-9 && Math.abs(g.sy * 364 - 750) < 1e-9, 'the global image shows the whole image');
  });

  it('a canvas of one tile is one view, no global image (rows = cols = 0 in the processor)', () => {
    const views = idefics3.views({ width: 300, height: 200 }, cfg({ size: { longest_edge: 364 } }));
    assert.deepEqual(views.map((v) => v.id), ['image']);
  });

  it('without splitting the image is squashed to one tile', () => {
    const views = idefics3.views({ width: 1000, height: 10 }, cfg({ do_image_splitting: false }));
    assert.equal(views.length, 1);
    assert.deepEqual(views[0].ops.at(-1), { op: 'resize', width: 364, height: 364, kernel: 'lanczos3' });
  });

  it('the fast processors have no Lanczos and resize with BICUBIC instead, as they warn', () => {
    assert.equal(cfg().kernel, 'lanczos3');
    assert.equal(cfg({ image_processor_type: 'SmolVLMImageProcessorFast' }).kernel, 'cubic');
  });

  it('an exact size is resized to first, then tiled', () => {
    const views = idefics3.views({ width: 50, height: 50 }, cfg({ size: { height: 728, width: 364 } }));
    assert.deepEqual(views.map((v) => v.id), ['tile-0-0', 'tile-1-0', 'global']);
  });

  it('more tiles than a TokenMap can show: a message with the numbers and what to change', () => {
    assert.throws(() => idefics3.views({ width: 4000, height: 4000 }, cfg({ size: { longest_edge: 4096 }, max_image_size: { longest_edge: 224 } }, { scaleFactor: 2, tileSize: 224 })),
      /19×19 tiles of 224 px; SEA Lens shows at most 255 tiles — lower size.longest_edge/);
  });

  it('the token grid: one token per scale × scale patches; a wrong count is refused', () => {
    const c = cfg();
    const v = idefics3.views({ width: 10, height: 10 }, c)[0];
    assert.deepEqual(idefics3.viewGrid(v, c, 169), { rows: 13, cols: 13 });
    assert.throws(() => idefics3.viewGrid(v, c, 168), /returned 168 tokens for the 364×364 view "tile-0-0"; pixel shuffle by 2 of 14-px patches gives 13×13/);
  });
});

describe('Idefics3 settings it refuses', () => {
  it('BAD CALL - size with shortest_edge', () => assert.throws(() => cfg({ size: { shortest_edge: 10 } }), /"size" must be \{"longest_edge": N\} or \{"height": H, "width": W\}/));
  it('BAD CALL - max_image_size with height and width', () => assert.throws(() => cfg({ max_image_size: { height: 364, width: 364 } }), /"max_image_size" must be \{"longest_edge": N\}/));
  it('BAD CALL - a tile that is not whole scale × scale patch groups', () => assert.throws(() => cfg({ max_image_size: { longest_edge: 378 } }, { scaleFactor: 2 }), /not a whole number of 2 × 2 groups of 14-px patches/));
  it('BAD CALL - tiles of another size than the export', () => assert.throws(() => cfg({ max_image_size: { longest_edge: 378 } }), /exported for 364 px tiles/));
  it('BAD CALL - a non-boolean switch', () => assert.throws(() => cfg({ do_image_splitting: 1 }), /"do_image_splitting" must be true or false/));
  it('BAD CALL - no scaleFactor in the manifest', () => assert.throws(() => cfg({}, {}), /scaleFactor must be a whole number/));
  it('BAD CALL - an unknown resample code', () => assert.throws(() => cfg({ resample: 9 }), /unknown resample 9/));
});
