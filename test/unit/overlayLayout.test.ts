// The overlay's pure layout helpers: label fitting, patch geometry, keyboard navigation, heat values,
// colours. The SVG and the PNG export both draw from these, so they are checked here without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitLabel, boxRect, nextPatchIndex, heatValues, luminance, parseCssColor, haloFor, patchesWithTopWord, patchLabel, scoreText, DEFAULT_FIT,
} from '../../src/shared/overlayLayout';
import { gridBoxes, gridPatches, type Box, type TokenMap } from '../../src/shared/tokenMap';
import { llavaNextMap } from '../fixtures/tokenMaps';

// A one-grid version-2 map over a rows×cols*10 px image.
const tm = (words: string[][], rows: number, cols: number): TokenMap => {
  const rect = { x: 0, y: 0, w: cols * 10, h: rows * 10 };
  return {
    version: 2, image: 'i.png', pack: 'p', adapter: 'a', device: 'cpu', grid: { rows, cols }, timings: {}, imageSize: { width: rect.w, height: rect.h },
    views: [{ id: 'image', label: 'image', rect, grid: { rows, cols } }],
    patches: gridPatches({ rows, cols }, rect, words.map((ws, i) => ws.map((w, j) => ({ word: w, score: 0.9 - j * 0.1 - i * 0.01 })))),
  };
};

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

test('boxRect: a box in image pixels lands on the display through the zoom transform', () => {
  // A region at x = 16 of a 96×64 image, shown at half size and panned by (5, 7).
  const boxes = gridBoxes({ rows: 2, cols: 4 }, { x: 16, y: 0, w: 64, h: 64 });
  const t = { k: 0.5, x: 5, y: 7 };
  assert.deepEqual(boxRect(boxes[0], t), { x: 13, y: 7, width: 8, height: 16 });
  assert.deepEqual(boxRect(boxes[7], t), { x: 5 + 8 + 3 * 8, y: 7 + 16, width: 8, height: 16 });
  assert.deepEqual(boxRect({ x: 10, y: 10, w: 10, h: 10 }, { k: 2, x: 0, y: 0 }, 3), { x: 20, y: 30, width: 20, height: 30 }, 'the CLI scales the axes separately');
});

test('nextPatchIndex: on a grid, arrows move to the neighbour and stop at the edges', () => {
  const boxes = gridBoxes({ rows: 3, cols: 4 }, { x: 0, y: 0, w: 40, h: 30 });
  const all = boxes.map((_, i) => i);
  const nav = (i: number, k: Parameters<typeof nextPatchIndex>[1]) => nextPatchIndex(i, k, boxes, all);
  assert.equal(nav(0, 'ArrowLeft'), 0);
  assert.equal(nav(0, 'ArrowUp'), 0);
  assert.equal(nav(0, 'ArrowRight'), 1);
  assert.equal(nav(3, 'ArrowRight'), 3, 'no wrap to the next row');
  assert.equal(nav(1, 'ArrowDown'), 5);
  assert.equal(nav(9, 'ArrowDown'), 9);
  assert.equal(nav(6, 'Home'), 4);
  assert.equal(nav(6, 'End'), 7);
});

test('nextPatchIndex: boxes of different sizes — the spatial neighbour by box centre', () => {
  // One 20×20 box on the left, two 10×10 boxes stacked on its right, one wide box below all of them.
  const boxes: Box[] = [{ x: 0, y: 0, w: 20, h: 20 }, { x: 20, y: 0, w: 10, h: 10 }, { x: 20, y: 10, w: 10, h: 10 }, { x: 0, y: 20, w: 30, h: 10 }];
  const all = [0, 1, 2, 3];
  assert.equal(nextPatchIndex(0, 'ArrowRight', boxes, all), 1, 'equal distance: the first of the two');
  assert.equal(nextPatchIndex(2, 'ArrowLeft', boxes, all), 0);
  assert.equal(nextPatchIndex(1, 'ArrowDown', boxes, all), 2);
  assert.equal(nextPatchIndex(2, 'ArrowDown', boxes, all), 3);
  assert.equal(nextPatchIndex(3, 'ArrowUp', boxes, all), 0, 'straight up before diagonally up');
  assert.equal(nextPatchIndex(0, 'ArrowRight', boxes, [0, 3]), 0, 'only candidates (the current view) count');
  assert.equal(nextPatchIndex(0, 'ArrowLeft', [undefined, ...boxes.slice(1)], [2, 3]), 2, 'a token without a box goes to the first candidate');
});

test('nextPatchIndex: LLaVA-NeXT tiles — right across a tile edge, down across a newline token', () => {
  const m = llavaNextMap();
  const boxes = m.patches.map((p) => p.box);
  const tiles = m.patches.flatMap((p, i) => (p.tile >= 1 && p.kind === 'patch' ? [i] : []));
  const firstTileRow = tiles.slice(0, 48);
  assert.equal(nextPatchIndex(firstTileRow[23], 'ArrowRight', boxes, tiles), firstTileRow[24], 'tile 1,1 → tile 1,2');
  assert.equal(nextPatchIndex(firstTileRow[0], 'ArrowDown', boxes, tiles), tiles[48], 'the newline token is skipped');
  assert.equal(nextPatchIndex(firstTileRow[5], 'End', boxes, tiles), firstTileRow[47]);
});

test('heatValues: top-1 scores normalised to [0, 1] with the range kept for the legend', () => {
  const t = tm([['a'], ['b'], ['c'], ['d']], 2, 2);
  const h = heatValues(t, 'score');
  assert.equal(h.values[0], 1);
  assert.equal(h.values[3], 0);
  assert.ok(Math.abs(h.max - 0.9) < 1e-12 && Math.abs(h.min - 0.87) < 1e-12);
  const custom = heatValues(t, { values: [0, 1, 1, 0], label: 'changed' });
  assert.deepEqual(custom.values, [0, 1, 1, 0]);
  assert.equal(custom.label, 'changed');
  const flat = heatValues(t, { values: [2, 2, 2, 2], label: 'flat' });
  assert.deepEqual(flat.values, [0, 0, 0, 0], 'a constant map does not divide by zero');
});

test('EXPECTED FAILURE - heatValues: a map of another size is refused with both counts', () => {
  const t = tm([['a'], ['b'], ['c'], ['d']], 2, 2);
  assert.throws(() => heatValues(t, { values: [1, 2, 3, 4, 5], label: 'x' }), /heatmap "x" has 5 values; the token map has 4 tokens/);
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
  assert.equal(patchLabel({ kind: 'patch', tile: 0, row: 0, col: 0, words: [] }, 3), 'row 1, column 1: no word');
  const next = llavaNextMap();
  assert.equal(patchLabel(next.patches[576], 1, next.views[1]), `tile 1, 1 of 2×2, row 1, column 1: ${next.patches[576].words[0].word} ${next.patches[576].words[0].score.toFixed(3)}`);
  assert.match(patchLabel(next.patches[576 + 48], 1), /^newline after row 1: /);
  assert.equal(scoreText(null), '–', 'a score stored as null prints as a dash');
});
