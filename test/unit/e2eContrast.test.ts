// The WCAG contrast ratio the real-VS-Code theme scenario (test/e2e/themes.e2e.ts) asserts ≥ 4.5 with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contrastRatio } from '../e2e/themes.e2e';

test('contrastRatio: WCAG 2 reference values, symmetric', () => {
  assert.equal(contrastRatio([0, 0, 0], [255, 255, 255]), 21);
  assert.equal(contrastRatio([255, 255, 255], [0, 0, 0]), 21);
  assert.equal(contrastRatio([90, 90, 90], [90, 90, 90]), 1);
  // #777 on white is the classic just-below-AA grey (4.48), #767676 the lightest grey that passes (4.54)
  assert.ok(Math.abs(contrastRatio([0x77, 0x77, 0x77], [255, 255, 255]) - 4.48) < 0.01);
  assert.ok(contrastRatio([0x76, 0x76, 0x76], [255, 255, 255]) >= 4.5);
  // VS Code's Dark Modern text on its editor background
  assert.ok(contrastRatio([0xcc, 0xcc, 0xcc], [0x1f, 0x1f, 0x1f]) > 10);
});
