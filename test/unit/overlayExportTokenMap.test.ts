// CSV/JSON exports of a token map (the host writes these files from the result it holds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, tokenMapToCsv, tokenMapToJson } from '../../src/extension/exportTokenMap';
import type { TokenMap } from '../../src/shared/tokenMap';

const tm: TokenMap = {
  image: 'a.png', pack: 'p', adapter: 'sea', device: 'cpu', grid: { rows: 1, cols: 2 }, timings: {},
  patches: [
    { row: 0, col: 0, words: [{ word: 'cat', score: 0.5 }, { word: 'a,b', score: 0.25 }] },
    { row: 0, col: 1, words: [{ word: 'say "hi"', score: -0.125 }] },
  ],
};

test('CSV: one row per patch and rank, RFC 4180 quoting', () => {
  assert.equal(tokenMapToCsv(tm), 'row,col,rank,word,score\r\n0,0,1,cat,0.500000\r\n0,0,2,"a,b",0.250000\r\n0,1,1,"say ""hi""",-0.125000\r\n');
  assert.equal(csvField('line\nbreak'), '"line\nbreak"');
  assert.equal(csvField(3), '3');
});

test('JSON: the token map round-trips', () => {
  assert.deepEqual(JSON.parse(tokenMapToJson(tm)), tm);
});
