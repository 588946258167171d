// CSV/JSON exports of a token map (the host writes these files from the result it holds), and the PNG
// export's size rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, tokenMapToCsv, tokenMapToJson, TOKEN_CSV_HEADER } from '../../src/extension/exportTokenMap';
import { exportScale } from '../../webview/overlay/overlayExport';
import type { TokenMap } from '../../src/shared/tokenMap';
import { llavaNextMap } from '../fixtures/tokenMaps';

const tm: TokenMap = {
  version: 2, image: 'a.png', pack: 'p', adapter: 'sea', device: 'cpu', grid: { rows: 1, cols: 2 }, timings: {}, imageSize: { width: 20, height: 10 },
  views: [{ id: 'image', label: 'image', rect: { x: 0, y: 0, w: 20, h: 10 }, grid: { rows: 1, cols: 2 } }],
  patches: [
    { kind: 'patch', tile: 0, box: { x: 0, y: 0, w: 10, h: 10 }, row: 0, col: 0, words: [{ word: 'cat', score: 0.5 }, { word: 'a,b', score: 0.25 }] },
    { kind: 'patch', tile: 0, box: { x: 10, y: 0, w: 10, h: 10 }, row: 0, col: 1, words: [{ word: 'say "hi"', score: -0.125 }] },
  ],
};

test('CSV: one row per token and rank, 1-based rows and columns, view, kind and box; RFC 4180 quoting', () => {
  assert.equal(TOKEN_CSV_HEADER, 'token (1-based),view,kind,row (1-based),col (1-based),box x (px),box y (px),box w (px),box h (px),rank,word,score');
  assert.equal(tokenMapToCsv(tm), [
    TOKEN_CSV_HEADER,
    '1,image,patch,1,1,0,0,10,10,1,cat,0.500000',
    '1,image,patch,1,1,0,0,10,10,2,"a,b",0.250000',
    '2,image,patch,1,2,10,0,10,10,1,"say ""hi""",-0.125000',
  ].join('\r\n') + '\r\n');
  assert.equal(csvField('line\nbreak'), '"line\nbreak"');
  assert.equal(csvField(3), '3');
});

test('CSV: LLaVA-NeXT — tile tokens name their view, newline tokens have no box, boxes keep fractions', () => {
  const m = llavaNextMap();
  const rows = tokenMapToCsv(m).trim().split('\r\n').map((l) => l.split(','));
  const rank1 = rows.slice(1).filter((f) => f[9] === '1');
  assert.equal(rank1.length, 2928, 'one rank-1 row per token');
  const firstTile = rank1[576];
  assert.deepEqual(firstTile.slice(0, 9), ['577', 'tile-1-1', 'patch', '1', '1', '0', '0', '14', '14']);
  const newline = rank1[576 + 48];
  assert.deepEqual(newline.slice(0, 9), ['625', 'tile-1-2', 'newline', '1', '', '', '', '', '']);
  const frac = tokenMapToCsv({ ...tm, patches: [{ ...tm.patches[0], box: { x: 1 / 3, y: 0, w: 9, h: 10 } }] }).split('\r\n')[1];
  assert.match(frac, /^1,image,patch,1,1,0\.33,0,9,10,/);
});

test('CSV: a score stored as null is an empty field, a token without words still gets its row', () => {
  const csv = tokenMapToCsv({ ...tm, patches: [{ ...tm.patches[0], words: [{ word: 'x', score: null as unknown as number }] }, { ...tm.patches[1], words: [] }] });
  assert.deepEqual(csv.split('\r\n').slice(1, 3), ['1,image,patch,1,1,0,0,10,10,1,x,', '2,image,patch,1,2,10,0,10,10,,,']);
});

test('JSON: the TokenMap version 2 round-trips', () => {
  assert.deepEqual(JSON.parse(tokenMapToJson(tm)), tm);
  assert.equal(JSON.parse(tokenMapToJson(llavaNextMap())).version, 2);
});

test('PNG export size: at least 512 px on the long side (small images enlarged), at most 2048, else as is', () => {
  assert.equal(exportScale({ width: 96, height: 96 }) * 96, 512);
  assert.equal(Math.round(exportScale({ width: 96, height: 48 }) * 96), 512, 'the long side decides');
  assert.equal(exportScale({ width: 672, height: 672 }), 1);
  assert.equal(exportScale({ width: 4000, height: 3000 }) * 4000, 2048);
});
