// InternVL tiling arithmetic (GotOcr2ImageProcessor's crop_to_patches): the tile grids it allows, the grid it
// picks by aspect ratio (with its tie-break), tiles + thumbnail, one squashed view otherwise, and the settings
// the family refuses. Expected grids are those of transformers 4.57.3's get_optimal_tiled_canvas for the same
// inputs (448-px tiles).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { viewAffine } from '../../src/engine/families/imageViews';
import { internvl, optimalTiledCanvas, parseInternVL, tileArrangements } from '../../src/engine/families/internvl/geometry';

const PP = { image_processor_type: 'GotOcr2ImageProcessor', size: { height: 448, width: 448 }, crop_to_patches: true, min_patches: 1, max_patches: 12, resample: 3, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] };
const GEO = { scaleFactor: 2, tileSize: 448 };
const cfg = (over: Record<string, unknown> = {}, geo: Record<string, unknown> = GEO) => parseInternVL({ ...PP, ...over }, geo, 'preprocessor_config.json', 14);

describe('InternVL tile grids (the processor\'s choice)', () => {
  it('arrangements are ordered by tile count, columns first within a count', () => {
    assert.deepEqual(tileArrangements(1, 4), [[1, 1], [1, 2], [2, 1], [1, 3], [3, 1], [1, 4], [2, 2], [4, 1]]);
    assert.deepEqual(tileArrangements(3, 3), [[1, 3], [3, 1]]);
  });
  const cases: [number, number, number, number, [number, number]][] = [
    // width, height, min, max → (columns, rows)
    [300, 200, 1, 6, [3, 2]],
    [120, 100, 1, 4, [1, 1]],
    [300, 250, 1, 4, [1, 1]],
    [1000, 10, 1, 12, [12, 1]],
    [10, 1000, 1, 12, [1, 12]],
    [448, 448, 1, 12, [1, 1]],
    [1920, 1080, 1, 12, [4, 2]],
    [1, 1, 1, 12, [1, 1]],
    [500, 500, 2, 12, [2, 2]],
    [1344, 448, 1, 12, [3, 1]],
    [800, 600, 1, 12, [4, 3]],
    [800, 600, 5, 8, [3, 2]],
  ];
  for (const [w, h, min, max, grid] of cases) {
    it(`${w}×${h}, ${min}–${max} tiles → ${grid[0]}×${grid[1]}`, () => assert.deepEqual(optimalTiledCanvas(w, h, 448, 448, min, max), grid));
  }
  it('a tie goes to more tiles only while the image is over half their area', () => {
    // aspect 1 ties 1×1 and 2×2 (and 3×3 at max 9): 2×2 wins once the image exceeds half of 4 tiles.
    assert.deepEqual(optimalTiledCanvas(633, 633, 448, 448, 1, 4), [1, 1]);
    assert.deepEqual(optimalTiledCanvas(634, 634, 448, 448, 1, 4), [2, 2]);
  });
});

describe('InternVL views', () => {
  it('a 16:9 photo: 4 × 2 tiles row by row on a 1792×896 canvas, then the thumbnail', () => {
    const views = internvl.views({ width: 1920, height: 1080 }, cfg());
    assert.deepEqual(views.map((v) => v.id), ['tile-0-0', 'tile-0-1', 'tile-0-2', 'tile-0-3', 'tile-1-0', 'tile-1-1', 'tile-1-2', 'tile-1-3', 'thumbnail']);
    assert.deepEqual(views[0].ops[0], { op: 'resize', width: 1792, height: 896, kernel: 'cubic' });
    const a = viewAffine(views[6].ops, { width: 1920, height: 1080 });   // tile 1, 2
    assert.ok(Math.abs(a.x0 - 2 * 480) < 1e-9 && Math.abs(a.y0 - 540) < 1e-9 && Math.abs(a.sx * 448 - 480) < 1e-9);
    assert.deepEqual(views[8].ops, [{ op: 'resize', width: 448, height: 448, kernel: 'cubic' }]);
  });

  it('one tile: one view and no thumbnail', () => {
    assert.deepEqual(internvl.views({ width: 500, height: 480 }, cfg()).map((v) => v.id), ['image']);
  });

  it('without crop_to_patches (or max_patches 1): the image squashed to one tile with `resample`', () => {
    for (const over of [{ crop_to_patches: false }, { max_patches: 1 }]) {
      const views = internvl.views({ width: 3000, height: 20 }, cfg({ ...over, resample: 2 }));
      assert.deepEqual(views.map((v) => [v.id, v.ops]), [['image', [{ op: 'resize', width: 448, height: 448, kernel: 'linear' }]]]);
    }
  });

  it('InternVLProcessor\'s call defaults (recorded by pack init) win over preprocessor_config.json', () => {
    const c = cfg({ crop_to_patches: false }, { ...GEO, processorCallDefaults: { crop_to_patches: true } });
    assert.equal(internvl.views({ width: 896, height: 448 }, c).length, 3);
    assert.equal(internvl.views({ width: 896, height: 448 }, cfg({ crop_to_patches: false })).length, 1);
    assert.throws(() => cfg({}, { ...GEO, processorCallDefaults: [1] }), /processorCallDefaults must be an object/);
  });

  it('the slow processor resizes tiles with BICUBIC whatever `resample` says; the fast one follows it', () => {
    assert.equal(cfg({ resample: 2 }).tileKernel, 'cubic');
    assert.equal(cfg({ resample: 2, image_processor_type: 'GotOcr2ImageProcessorFast' }).tileKernel, 'linear');
  });

  it('the token grid: 448-px tiles of 14-px patches, pixel-shuffled by 2 → 16 × 16', () => {
    const c = cfg();
    const v = internvl.views({ width: 448, height: 448 }, c)[0];
    assert.deepEqual(internvl.viewGrid(v, c, 256), { rows: 16, cols: 16 });
    assert.throws(() => internvl.viewGrid(v, c, 1024), /returned 1024 tokens/);
  });
});

describe('InternVL settings it refuses', () => {
  it('BAD CALL - size with shortest_edge', () => assert.throws(() => cfg({ size: { shortest_edge: 448 } }), /"size" must be a square \{"height": N, "width": N\}/));
  it('BAD CALL - a non-square size', () => assert.throws(() => cfg({ size: { height: 448, width: 896 } }), /must be a square/));
  it('BAD CALL - min_patches above max_patches', () => assert.throws(() => cfg({ min_patches: 6, max_patches: 4 }), /min_patches 6 is more than max_patches 4/));
  it('BAD CALL - more tiles than a TokenMap shows', () => assert.throws(() => cfg({ max_patches: 400 }), /max_patches 400 allows more tiles than the 255 SEA Lens shows/));
  it('BAD CALL - views at the image\'s own size', () => assert.throws(() => cfg({ do_resize: false, crop_to_patches: false }), /do_resize is false/));
  it('BAD CALL - tiles of another size than the export', () => assert.throws(() => cfg({ size: { height: 224, width: 224 } }), /exported for 448 px tiles/));
  it('BAD CALL - a non-boolean switch', () => assert.throws(() => cfg({ crop_to_patches: 'yes' }), /"crop_to_patches" must be true or false/));
  it('BAD CALL - a pixel shuffle that does not divide the patch grid', () => assert.throws(() => cfg({ size: { height: 434, width: 434 } }, { scaleFactor: 2 }), /not a whole number of 2 × 2 groups of 14-px patches/));
});
