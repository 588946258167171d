// The overlay's pure parts on every geometry: which views the switcher offers and which tokens each shows,
// the model-input caption, hit-testing under the pointer (overlaps: the smallest box), the word search and
// the zoom/pan arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultChoice, modelInputCaption, tokenSummary, tokensOf, viewChoices } from '../../src/shared/viewChoices';
import { createHitIndex } from '../../webview/overlay/hitIndex';
import { normaliseWord, searchSummary, searchTokens } from '../../webview/overlay/wordSearch';
import { fitTransform, MAX_ZOOM, panBy, panToShow, viewportSize, visibleRect, zoomAbout } from '../../webview/overlay/zoomTransform';
import { gridMap, llavaNextMap, qwenMap, tilesAndThumbnail } from '../fixtures/tokenMaps';

test('viewChoices: one view → one choice; LLaVA-NeXT → base, each tile, all tiles (the default)', () => {
  assert.deepEqual(viewChoices(gridMap(8, 8)).map((c) => c.id), ['image']);
  const m = llavaNextMap();
  const choices = viewChoices(m);
  assert.deepEqual(choices.map((c) => c.id), ['base', 'tile-1-1', 'tile-1-2', 'tile-2-1', 'tile-2-2', 'tiles']);
  const all = defaultChoice(choices);
  assert.equal(all.id, 'tiles');
  assert.deepEqual(all.rect, { x: 0, y: 0, w: 672, h: 672 });
  const { spatial, listed } = tokensOf(m, all);
  assert.equal(spatial.length, 2304);
  assert.equal(listed.length, 48, 'the newline tokens are listed, not drawn');
  assert.ok(listed.every((i) => m.patches[i].kind === 'newline'));
  assert.deepEqual(tokensOf(m, choices[0]), { spatial: Array.from({ length: 576 }, (_, i) => i), listed: [] });
  const tile12 = tokensOf(m, choices[2]);
  assert.equal(tile12.spatial.length, 576);
  assert.ok(tile12.spatial.every((i) => m.patches[i].box!.x >= 336 && m.patches[i].box!.y < 336), 'tile 1,2 is the top-right quarter');
  assert.equal(tile12.listed.length, 24, 'the newlines that end tile 1,2 rows');
});

test('viewChoices: tiles + thumbnail — the thumbnail alone, the tiles together; separators listed', () => {
  const m = tilesAndThumbnail();
  const choices = viewChoices(m);
  assert.deepEqual(choices.map((c) => c.id), ['tile-1-1', 'tile-1-2', 'tile-2-1', 'tile-2-2', 'tiles', 'thumbnail']);
  const thumb = tokensOf(m, choices[5]);
  assert.equal(thumb.spatial.length, 169);
  assert.equal(tokensOf(m, defaultChoice(choices)).listed.length, 4);
});

test('modelInputCaption: the views the model saw, what part of the image they cover, pixel notes', () => {
  const m = llavaNextMap();
  const choices = viewChoices(m);
  assert.equal(modelInputCaption(m, choices[0]), 'model input: base image 336×336 — covers the whole 672×672 image; alpha → white');
  assert.equal(modelInputCaption(m, choices[2]), 'model input: tile 1, 2 of 2×2 — covers 336×336 at (336, 0) of 672×672; alpha → white');
  const q = qwenMap();
  assert.equal(modelInputCaption(q, viewChoices(q)[0]), 'model input: model input 812×532 (centre crop of 812×532) — covers the whole 812×532 image');
  const crop = { ...q, views: [{ ...q.views[0], label: 'model input 336×336 (centre crop of 4000×3000)', rect: { x: 500, y: 0, w: 3000, h: 3000 } }], imageSize: { width: 4000, height: 3000 }, notes: ['running on cpu: no GPU', 'alpha → white'] };
  assert.equal(modelInputCaption(crop, viewChoices(crop)[0]), 'model input: model input 336×336 (centre crop of 4000×3000) — covers 3000×3000 at (500, 0) of 4000×3000; alpha → white');
  assert.equal(tokenSummary(gridMap(8, 8)), '8×8 patches');
  assert.equal(tokenSummary(llavaNextMap()), '2,928 tokens in 5 views');
});

test('hit index: the token under a point, none outside; on overlaps the smallest box', () => {
  const m = llavaNextMap();
  const boxes = m.patches.map((p) => p.box);
  const tiles = tokensOf(m, defaultChoice(viewChoices(m))).spatial;
  const hit = createHitIndex(boxes, tiles, m.imageSize);
  for (const i of [tiles[0], tiles[100], tiles[2303], tiles[1234]]) {
    const b = boxes[i]!;
    assert.equal(hit.at(b.x + b.w / 2, b.y + b.h / 2), i);
    assert.equal(hit.at(b.x, b.y), i, 'the top-left edge belongs to the box');
  }
  assert.equal(hit.at(-1, 5), undefined);
  assert.equal(hit.at(672, 5), undefined);
  // Base view and tiles together: the tile token (14 px) wins over the base token (28 px) under it.
  const both = createHitIndex(boxes, m.patches.flatMap((p, i) => (p.kind === 'patch' ? [i] : [])), m.imageSize);
  assert.equal(both.at(20, 20), tiles[48 + 1], 'row 2, column 2 of the combined tiles');
  assert.equal(m.patches[both.at(20, 20)!].tile, 1);
  // Non-square boxes (Qwen2-VL: 28 px tokens, centred grid on a 812×532 image): the margin has no token.
  const q = qwenMap();
  const qh = createHitIndex(q.patches.map((p) => p.box), q.patches.map((_, i) => i), q.imageSize);
  assert.equal(qh.at(q.views[0].rect.x + 29, q.views[0].rect.y + 1), 1);
  assert.equal(qh.at(1, 1), q.views[0].rect.x > 1 || q.views[0].rect.y > 1 ? undefined : 0);
});

test('word search: top-k membership, case and tokenizer space markers ignored, counts per view', () => {
  const m = llavaNextMap();
  assert.equal(normaliseWord('Ġroof'), 'roof');
  assert.equal(normaliseWord(' ▁Window '), 'window');
  const roof = searchTokens(m, 'ROOF', 5);
  assert.ok(roof.length > 0);
  assert.ok(roof.every((i) => m.patches[i].words.slice(0, 5).some((w) => normaliseWord(w.word) === 'roof')));
  const all = m.patches.flatMap((p, i) => (p.words.slice(0, 5).some((w) => w.word === 'Ġroof') ? [i] : []));
  assert.deepEqual(roof, all, 'every token with the word in its top-5, and no other');
  assert.ok(searchTokens(m, 'roof', 1).length < roof.length, 'a smaller k finds fewer');
  assert.deepEqual(searchTokens(m, '   ', 5), []);
  assert.deepEqual(searchTokens(m, 'roof', 5, [0, 1, 2]), roof.filter((i) => i < 3));
  assert.equal(searchSummary('roof', 3, 3), '3 tokens with “roof”');
  assert.equal(searchSummary('roof', 1, 5), '1 here, 5 in all, with “roof”');
  assert.equal(searchSummary('zebra', 0, 0), 'no token has “zebra” in its top-k');
  assert.equal(searchSummary(' ', 0, 0), '');
});

test('zoom: fit centres the region; zooming about a point keeps it still; limits; pan keeps the image in view', () => {
  const vp = { width: 600, height: 400 };
  const t = fitTransform({ x: 0, y: 0, w: 672, h: 672 }, vp);
  assert.ok(Math.abs(t.k - 400 / 672) < 1e-12);
  assert.ok(Math.abs(t.x - (600 - 400) / 2) < 1e-9 && Math.abs(t.y) < 1e-9);
  const tile = fitTransform({ x: 336, y: 0, w: 336, h: 336 }, vp);
  assert.ok(Math.abs(336 * tile.k + tile.x - (600 - 400) / 2) < 1e-9, 'a tile fills the viewport like the whole image did');
  const z = zoomAbout(t, 2, 150, 100, t.k);
  const before = [(150 - t.x) / t.k, (100 - t.y) / t.k];
  const after = [(150 - z.x) / z.k, (100 - z.y) / z.k];
  assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9, 'the point under the cursor stays put');
  assert.equal(zoomAbout(t, 1e6, 0, 0, t.k).k, t.k * MAX_ZOOM);
  const far = panBy(t, 10_000, 10_000, { width: 672, height: 672 }, vp);
  assert.ok(far.x <= vp.width - 40 && far.y <= vp.height - 40, 'at least 40 px of the image stay visible');
  const zin = { k: 4, x: 0, y: 0 };
  const shown = panToShow(zin, { x: 300, y: 300, w: 14, h: 14 }, vp);
  const r = visibleRect(shown, vp);
  assert.ok(r.x <= 300 && r.y <= 300 && r.x + r.w >= 314 && r.y + r.h >= 314, 'the focused token is brought into view');
  assert.equal(panToShow(zin, { x: 10, y: 10, w: 14, h: 14 }, vp), zin, 'no move when it is visible');
  // In the fitted view the corner tokens touch the viewport's edges: focusing them must not shift the image
  // (an 8-px margin would cut off the opposite column).
  const fitted = fitTransform({ x: 0, y: 0, w: 96, h: 96 }, { width: 548, height: 548 });
  assert.equal(panToShow(fitted, { x: 0, y: 0, w: 12, h: 12 }, { width: 548, height: 548 }), fitted, 'the top-left token of the fitted view');
  assert.equal(panToShow(fitted, { x: 84, y: 84, w: 12, h: 12 }, { width: 548, height: 548 }), fitted, 'the bottom-right token of the fitted view');
  const past = panToShow(zin, { x: 0, y: 0, w: 14, h: 14 }, vp);
  assert.equal(past, zin, 'a token at the image corner, in view when zoomed in at the origin');
  const cut = panToShow({ k: 4, x: -20, y: 0 }, { x: 0, y: 0, w: 14, h: 14 }, vp);
  assert.deepEqual(cut, { k: 4, x: 8, y: 0 }, 'a partly hidden token is brought in with the margin');
});

test('modelInputCaption: the combined tiles are named as one choice', () => {
  const m = llavaNextMap();
  assert.equal(modelInputCaption(m, defaultChoice(viewChoices(m))), 'model input: all 4 tiles — covers the whole 672×672 image; alpha → white');
});

test('viewportSize: small images enlarged to the minimum width, big ones fit the width and the height limit', () => {
  assert.deepEqual(viewportSize({ width: 96, height: 96 }, 1000, 700, 560), { width: 560, height: 560 }, 'the demo pack\'s 96 px image');
  assert.deepEqual(viewportSize({ width: 96, height: 96 }, 300, 700, 560), { width: 300, height: 300 }, 'as far as the host is wide');
  assert.deepEqual(viewportSize({ width: 4000, height: 3000 }, 1000, 700, 560), { width: 933, height: 700 }, 'the height limit wins');
  assert.deepEqual(viewportSize({ width: 812, height: 532 }, 1000, 700, 560), { width: 812, height: 532 }, 'never enlarged past its own size when above the minimum');
});
