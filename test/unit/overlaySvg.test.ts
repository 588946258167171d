// The CLI's SVG overlay (PNG output and the HTML report): boxes of any geometry at their place, labels
// fitted with the overlay's shared arithmetic, untrusted words escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlaySvg } from '../../src/cli/overlaySvg';
import { gridMap, llavaNextMap } from '../fixtures/tokenMaps';

const rects = (svg: string) => [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) => m.slice(1).map(Number));

test('LLaVA-NeXT: the tiles\' tokens at their boxes (scaled to the SVG size); not the base view over them, no newlines', () => {
  const m = llavaNextMap();
  const r = rects(overlaySvg(m, 336, 336));
  assert.equal(r.length, 2304, 'the combined tiles, as the webview opens the map; the 48 newline tokens have no box');
  assert.deepEqual(r[0], [0, 0, 7, 7], 'first tile token: 14 px at half size');
  assert.deepEqual(r[48], [0, 7, 7, 7], 'the second row of the tiles follows its newline');
  assert.equal(rects(overlaySvg(gridMap(3, 4), 48, 36)).length, 12, 'a one-grid map: every patch');
});

test('labels: fitted in screen pixels, escaped', () => {
  const m = gridMap(2, 2, { width: 200, height: 200 });
  m.patches[0].words = [{ word: '<b>&"', score: 0.5 }];
  const svg = overlaySvg(m, 200, 200);
  assert.match(svg, /&lt;b&gt;&amp;&quot;/);
  assert.ok(!svg.includes('<b>'));
  const small = overlaySvg(m, 200, 200, undefined, 0.05);
  assert.equal((small.match(/<text /g) ?? []).length, 0, 'shown at 10×10 px per token, no label fits');
});
