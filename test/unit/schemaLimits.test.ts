// The limits written into schemas/notebook.schema.json and schemas/webview-messages.schema.json are the
// one table's (src/shared/mediaLimits.ts): JSON Schema cannot import it, so this test keeps them equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS } from '../../src/shared/mediaLimits';
import notebook from '../../schemas/notebook.schema.json';
import messages from '../../schemas/webview-messages.schema.json';

test('notebook.schema.json: grid sides and list lengths are LIMITS.maxGridSide and LIMITS.maxTokens', () => {
  const grid = notebook.definitions.Grid.anyOf[1] as { properties: { rows: { maximum: number }; cols: { maximum: number } } };
  assert.deepEqual([grid.properties.rows.maximum, grid.properties.cols.maximum], [LIMITS.maxGridSide, LIMITS.maxGridSide]);
  assert.equal(notebook.definitions.TokenList.maxItems, LIMITS.maxTokens);
});

test('webview-messages.schema.json: topK bounds are LIMITS.topK', () => {
  assert.deepEqual([messages.definitions.TopK.minimum, messages.definitions.TopK.maximum], [LIMITS.topK.min, LIMITS.topK.max]);
});
