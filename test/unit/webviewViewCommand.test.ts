// The `viewCommand` host → page message (explain view actions chosen in the editor title bar): what the
// page accepts, and what it refuses with a message naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseToWebview } from '../../src/shared/webviewProtocol';

test('viewCommand: toggleHeatmap, and export in each format', () => {
  assert.deepEqual(parseToWebview({ kind: 'viewCommand', command: 'toggleHeatmap' }), { kind: 'viewCommand', command: 'toggleHeatmap' });
  for (const format of ['png', 'json', 'csv']) {
    assert.deepEqual(parseToWebview({ kind: 'viewCommand', command: 'export', format }), { kind: 'viewCommand', command: 'export', format });
  }
});

test('EXPECTED FAILURE - viewCommand with an unknown command or export format', () => {
  assert.throws(() => parseToWebview({ kind: 'viewCommand', command: 'zoom' }), /viewCommand\.command: expected one of toggleHeatmap, export, got string "zoom"/);
  assert.throws(() => parseToWebview({ kind: 'viewCommand' }), /viewCommand\.command: .*got undefined/);
  assert.throws(() => parseToWebview({ kind: 'viewCommand', command: 'export', format: 'svg' }), /viewCommand\.format: expected one of png, json, csv, got string "svg"/);
  assert.throws(() => parseToWebview({ kind: 'viewCommand', command: 'export' }), /viewCommand\.format: .*got undefined/);
});
