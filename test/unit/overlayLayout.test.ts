// The overlay's pure layout helpers: label fitting, patch geometry, keyboard navigation, heat values,
// colours. The SVG and the PNG export both draw from these, so they are checked here without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitLabel, gridRegion, patchRects, nextPatchIndex, heatValues, luminance, parseCssColor, haloFor, patchesWithTopWord, patchLabel, DEFAULT_FIT,
} from '../../src/shared/overlayLayout';
import type { TokenMap } from '../../src/shared/tokenMap';

const tm = (words: string[][], rows: number, cols: number): TokenMap => ({
  image: 'i.png', pack: 'p', adapter: 'a', device: 'cpu', grid: { rows, cols }, timings: {},
  patches: words.map((ws, i) => ({ row: Math.floor(i / cols), col: i % cols, words: ws.map((w, j) => ({ word: w, score: 0.9 - j * 0.1 - i * 0.01 })) })),
});

test('fitLabel: a short word in a big cell is capped at maxPx', () => {
  const f = fitLabel('cat', 200, 200);
  assert.equal(f.visible, true);
  assert.equal(f.fontPx, DEFAULT_FIT.maxPx);
  assert.equal(f.text, 'cat');
});

test('fitLabel: the font shrinks with the cell width and always fits', () => {
  const em = (t: string) => t.length * 0.6;
  const wide = fitLabel('giraffe', 120, 60, { ...DEFAULT_FIT, measureEm: em });
  const narrow = fitLabel('giraffe', 60, 60, { ...DEFAULT_FIT, measureEm: em });
  assert.ok(narrow.fontPx < wide.fontPx, `${narrow.fontPx} < ${wide.fontPx}`);
  for (const [f, w] of [[wide, 120], [narrow, 60]] as const) {
    assert.ok(em(f.text) * f.fontPx <= w * (1 - 2 * DEFAULT_FIT.padding) + 1e-9, 'text width within the padded cell');
  }
});

test('fitLabel: the height limits the font (line box 1.2 em)', () => {
  const f = fitLabel('a', 500, 20);
  assert.ok(Math.abs(f.fontPx - (20 * (1 - 2 * DEFAULT_FIT.padding)) / 1.2) < 1e-9);
});

test('fitLabel: a long word in a small cell is shortened with an ellipsis at minPx, never drawn smaller', () => {
  const em = (t: string) => [...t].length * 0.6;
  const f = fitLabel('photosynthesis', 30, 30, { ...DEFAULT_FIT, measureEm: em });
  assert.equal(f.visible, true);
  assert.equal(f.fontPx, DEFAULT_FIT.minPx);
  assert.ok(f.text.endsWith('…') && f.text.length < 'photosynthesis'.length, f.text);
  assert.ok(em(f.text) * f.fontPx <= 30 * (1 - 2 * DEFAULT_FIT.padding));
});

test('fitLabel: a cell too small for legible text hides the label', () => {
  assert.equal(fitLabel('cat', 4, 4).visible, false);
  assert.equal(fitLabel('cat', 100, 8).visible, false, 'height 8 px cannot hold a 7 px line');
  assert.equal(fitLabel('', 100, 100).visible, false);
});

test('fitLabel: non-ASCII words are counted by code points', () => {
  const f = fitLabel('猫🐈', 100, 100, { ...DEFAULT_FIT, measureEm: (t) => [...t].length });
  assert.equal(f.text, '猫🐈');
  assert.ok(f.visible);
});

test('gridRegion and patchRects: the grid covers the region, scaled to the display', () => {
  const region = gridRegion({ region: { x: 16, y: 0, width: 64, height: 64 } }, { width: 96, height: 64 });
  assert.deepEqual(region, { x: 16, y: 0, width: 64, height: 64 });
  const rects = patchRects({ rows: 2, cols: 4 }, region, 0.5);
  assert.equal(rects.length, 8);
  assert.deepEqual(rects[0], { x: 8, y: 0, width: 8, height: 16 });
  assert.deepEqual(rects[7], { x: 8 + 3 * 8, y: 16, width: 8, height: 16 });
  assert.deepEqual(gridRegion({}, { width: 30, height: 20 }), { x: 0, y: 0, width: 30, height: 20 });
  assert.deepEqual(gridRegion({ imageSize: { width: 40, height: 10 } }, { width: 30, height: 20 }), { x: 0, y: 0, width: 40, height: 10 }, 'the engine size wins over the displayed natural size');
});

test('nextPatchIndex: arrows move within the grid and stop at its edges', () => {
  const g = { rows: 3, cols: 4 };
  assert.equal(nextPatchIndex(0, 'ArrowLeft', g), 0);
  assert.equal(nextPatchIndex(0, 'ArrowUp', g), 0);
  assert.equal(nextPatchIndex(0, 'ArrowRight', g), 1);
  assert.equal(nextPatchIndex(3, 'ArrowRight', g), 3, 'no wrap to the next row');
  assert.equal(nextPatchIndex(1, 'ArrowDown', g), 5);
  assert.equal(nextPatchIndex(9, 'ArrowDown', g), 9);
  assert.equal(nextPatchIndex(6, 'Home', g), 4);
  assert.equal(nextPatchIndex(6, 'End', g), 7);
});

test('heatValues: top-1 scores normalised to [0, 1] with the range kept for the legend', () => {
  const t = tm([['a'], ['b'], ['c'], ['d']], 2, 2);
  const h = heatValues(t, 'score');
  assert.equal(h.values[0], 1);
  assert.equal(h.values[3], 0);
  assert.ok(Math.abs(h.max - 0.9) < 1e-12 && Math.abs(h.min - 0.87) < 1e-12);
  const custom = heatValues(t, { grid: { rows: 2, cols: 2 }, values: [0, 1, 1, 0], label: 'changed' });
  assert.deepEqual(custom.values, [0, 1, 1, 0]);
  assert.equal(custom.label, 'changed');
  const flat = heatValues(t, { grid: { rows: 2, cols: 2 }, values: [2, 2, 2, 2], label: 'flat' });
  assert.deepEqual(flat.values, [0, 0, 0, 0], 'a constant map does not divide by zero');
});

test('EXPECTED FAILURE - heatValues: a map of another grid is refused with both sizes', () => {
  const t = tm([['a'], ['b'], ['c'], ['d']], 2, 2);
  assert.throws(() => heatValues(t, { grid: { rows: 1, cols: 4 }, values: [1, 2, 3, 4], label: 'x' }), /heatmap "x" is 1×4 with 4 values; the token map is 2×2/);
});

test('colours: parse, luminance and a contrasting halo', () => {
  assert.deepEqual(parseCssColor('#fff'), [255, 255, 255]);
  assert.deepEqual(parseCssColor('#1e1e1e'), [30, 30, 30]);
  assert.deepEqual(parseCssColor('rgba(10, 20, 30, 0.5)'), [10, 20, 30]);
  assert.equal(parseCssColor('var(--x)'), undefined);
  assert.ok(luminance('#ffffff') > 0.99 && luminance('#000') === 0);
  assert.ok(Number.isNaN(luminance('teal')));
  assert.match(haloFor('#d4d4d4'), /^rgba\(0,0,0/, 'light text (dark theme) → dark halo');
  assert.match(haloFor('#333333'), /^rgba\(255,255,255/, 'dark text (light theme) → light halo');
});

test('patchesWithTopWord and patchLabel', () => {
  const t = tm([['cat', 'dog'], ['dog'], ['cat'], ['sky']], 2, 2);
  assert.deepEqual(patchesWithTopWord(t, 'cat'), [0, 2]);
  assert.deepEqual(patchesWithTopWord(t, 'dog'), [1], 'only the top word counts');
  assert.equal(patchLabel(t.patches[0], 1), 'row 1, column 1: cat 0.900');
  assert.equal(patchLabel({ row: 0, col: 0, words: [] }, 3), 'row 1, column 1: no word');
});
