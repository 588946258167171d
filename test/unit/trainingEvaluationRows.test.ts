// The run view's before/after table (webview/training/evaluationRows.ts): which way is better for each
// measurement, Δ in points or with the relative change, per-class rows most frequent first, and older
// evaluations (no caption loss, no per-kind split) shown without empty rows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluationRows, formatDelta, formatValue, perClassRows } from '../../webview/training/evaluationRows';

const before = {
  images: 256, modalityGap: 4.394, tacs: 0.353, patchWordAccuracy: 0.076, labelAgreement: 0.1, captionLoss: 0.902,
  perKind: { background: { patches: 100, accuracy: 0.002 }, object: { patches: 15, accuracy: 0.574 } },
  perClass: { grass: { patches: 40, accuracy: 0 }, red: { patches: 9, accuracy: 0.5 }, sky: { patches: 60, accuracy: 0.1 } },
};
const after = {
  images: 256, modalityGap: 4.097, tacs: 0.356, patchWordAccuracy: 0.847, labelAgreement: 0.9, captionLoss: 0.942,
  perKind: { background: { patches: 100, accuracy: 0.888 }, object: { patches: 15, accuracy: 0.573 } },
  perClass: { grass: { patches: 40, accuracy: 0.9 }, red: { patches: 9, accuracy: 0.5 }, sky: { patches: 60, accuracy: 0.95 } },
};

test('each measurement says which way is better: caption loss up is worse, accuracy up and gap down are better', () => {
  const rows = Object.fromEntries(evaluationRows(before, after).map((r) => [r.name, r]));
  assert.equal(rows['caption loss (per token)'].improved, false);
  assert.equal(formatDelta(rows['caption loss (per token)']), '+0.040 (+4.4 %)');
  assert.equal(rows['patch-word accuracy'].improved, true);
  assert.equal(formatDelta(rows['patch-word accuracy']), '+77.1 pt');
  assert.equal(formatValue(rows['patch-word accuracy'].after, true), '84.7 %');
  assert.equal(rows['modality gap D'].improved, true);
  assert.equal(formatDelta(rows['modality gap D']), '−0.297 (−6.8 %)');
  assert.equal(rows['… object patches'].improved, false);
  assert.equal(rows['top-5 accuracy'], undefined, 'a measurement neither side has is left out');
});

test('per-class rows: most frequent true word first, unchanged accuracy judged neither way', () => {
  const rows = perClassRows(before, after);
  assert.deepEqual(rows.map((r) => [r.name, r.patches]), [['sky', 60], ['grass', 40], ['red', 9]]);
  assert.equal(rows[2].improved, null);
  assert.equal(formatDelta(rows[2]), '±0.0 pt');
  assert.deepEqual(perClassRows(before, after, 1).map((r) => r.name), ['sky']);
});

test('an evaluation from an older trainer (no caption loss, no classes, null TACS) gives only the rows it has', () => {
  const old = { images: 4, modalityGap: 1, tacs: null, labelAgreement: 0.2 };
  const rows = evaluationRows(old, { ...old, labelAgreement: 0.3 });
  assert.deepEqual(rows.map((r) => r.name), ['CLIP-label agreement', 'modality gap D']);
  assert.deepEqual(perClassRows(old, old), []);
  assert.equal(formatValue(null, true), '–');
});
