// Per-kind tallies of the demo metric (the Python evaluator's definition: python/sealens/demo_metrics.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindRates, tallyKinds } from '../../src/engine/metrics';
import type { PatchWords } from '../../src/shared/tokenMap';

const patch = (...words: string[]) => ({ words: words.map((word, i) => ({ word, score: 1 - i / 10 })) }) as unknown as PatchWords;

test('background, colour, shape and object are counted per kind; colour + shape never exceed object', () => {
  const truth = { words: [['grass'], ['grass'], ['red', 'circle'], ['red', 'circle'], ['red', 'circle']] };
  const k = tallyKinds([patch('grass', 'x'), patch('sand', 'grass'), patch('red', 'circle'), patch('circle', 'red'), patch('me', 'circle')], truth);
  const r = kindRates(k);
  assert.equal(r.background, 0.5);
  assert.equal(r.colour, 1 / 3);
  assert.equal(r.shape, 1 / 3);
  assert.equal(r.object, 2 / 3);
  assert.ok(r.colour + r.shape <= r.object + 1e-12);
  assert.equal(r.balanced, (0.5 + 1 / 3 + 1 / 3) / 3);
  // rank R = 2 on objects: red found in 2 of 3, circle in 3 of 3
  assert.equal(r.balancedR, (0.5 + 2 / 3 + 1) / 3);
});

test('patches without truth are skipped and tallies accumulate across images', () => {
  const k = tallyKinds([patch('sky')], { words: [[]] });
  assert.equal(k.backgroundN + k.objectN, 0);
  tallyKinds([patch('sky')], { words: [['sky']] }, k);
  tallyKinds([patch('blue')], { words: [['blue', 'star']] }, k);
  assert.deepEqual([k.backgroundN, k.background, k.objectN, k.colour], [1, 1, 1, 1]);
});
