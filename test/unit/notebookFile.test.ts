// The *.sealens file format: round trips byte for byte, keeps what a newer version wrote, and refuses
// broken files with a message that says where and why (never an empty notebook that would be saved over).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOutputData, encodeOutputData, formatNotebook, parseNotebook } from '../../src/notebook/notebookFile';
import { TOKENMAP_MIME } from '../../src/shared/tokenMap';

const sample = {
  version: 1,
  cells: [
    { kind: 'markdown', source: '# Title', outputs: [] },
    {
      kind: 'code',
      source: 'explain a.png',
      outputs: [
        { mime: TOKENMAP_MIME, data: { image: 'a.png', grid: { rows: 1, cols: 1 } } },
        { mime: 'image/png', data: 'iVBORw0KGgo=' },
        { mime: 'text/plain', data: 'hello' },
      ],
    },
  ],
};

test('round trip: format(parse(text)) is the same text, known keys in a fixed order', () => {
  const text = JSON.stringify(sample, null, 2) + '\n';
  assert.equal(formatNotebook(parseNotebook(text)), text);
  // key order in the input does not matter: the output is always version, cells / kind, source, outputs
  const shuffled = JSON.stringify({ cells: [{ outputs: [], source: 'x', kind: 'code' }], version: 1 });
  assert.equal(formatNotebook(parseNotebook(shuffled)), '{\n  "version": 1,\n  "cells": [\n    {\n      "kind": "code",\n      "source": "x",\n      "outputs": []\n    }\n  ]\n}\n');
});

test('unknown future fields are kept at top level, per cell and per output', () => {
  const future = structuredClone(sample) as any;
  future.kernelHint = { engine: 'v9' };
  future.cells[1].executionSummary = { order: 4 };
  future.cells[1].outputs[0].renderedAt = '2030-01-01';
  const back = JSON.parse(formatNotebook(parseNotebook(JSON.stringify(future))));
  assert.deepEqual(back.kernelHint, { engine: 'v9' });
  assert.deepEqual(back.cells[1].executionSummary, { order: 4 });
  assert.equal(back.cells[1].outputs[0].renderedAt, '2030-01-01');
  assert.deepEqual(back, future);
});

test('an empty file is an empty notebook (VS Code creates new files empty)', () => {
  assert.deepEqual(parseNotebook('').cells, []);
  assert.deepEqual(parseNotebook('  \n').cells, []);
});

test('a missing outputs array reads as no outputs', () => {
  assert.deepEqual(parseNotebook('{"version":1,"cells":[{"kind":"code","source":"labels a.png"}]}').cells[0].outputs, []);
});

const broken: [string, string, RegExp][] = [
  ['not JSON', '{"version": 1, "cells": [', /demo\.sealens is not valid JSON .*will not save over it/],
  ['an array', '[]', /top level must be a JSON object.*found an array/],
  ['a newer version', '{"version": 2, "cells": []}', /"version" is 2; this SEA Lens reads version 1/],
  ['version as text', '{"version": "1", "cells": []}', /"version" must be the number 1, found a string/],
  ['no cells', '{"version": 1}', /"cells" must be an array, found nothing/],
  ['bad kind', '{"version": 1, "cells": [{"kind": "raw", "source": ""}]}', /cells\[0\]\.kind must be "markdown" or "code", found "raw"/],
  ['source not text', '{"version": 1, "cells": [{"kind": "code", "source": ["a"]}]}', /cells\[0\]\.source must be a string, found an array/],
  ['output without mime', '{"version": 1, "cells": [{"kind": "code", "source": "", "outputs": [{"data": 1}]}]}', /cells\[0\]\.outputs\[0\]\.mime must be a non-empty string/],
  ['output without data', '{"version": 1, "cells": [{"kind": "code", "source": "", "outputs": [{"mime": "text/plain"}]}]}', /outputs\[0\] \(text\/plain\) has no "data"/],
  ['binary output not base64 text', '{"version": 1, "cells": [{"kind": "code", "source": "", "outputs": [{"mime": "image/png", "data": {}}]}]}', /must be a string for image\/png/],
];
for (const [what, text, message] of broken) {
  test(`EXPECTED FAILURE - ${what}: throws a NotebookFormatError that names the problem`, () => {
    assert.throws(() => parseNotebook(text, 'demo.sealens'), (err: Error) => err.name === 'NotebookFormatError' && message.test(err.message));
  });
}

test('output data: JSON MIMEs as JSON, text as text, binary as base64, and back to the same bytes', () => {
  const enc = new TextEncoder();
  const json = enc.encode('{"a":[1,2]}');
  assert.deepEqual(encodeOutputData(TOKENMAP_MIME, json), { a: [1, 2] });
  assert.equal(encodeOutputData('text/html', enc.encode('<b>x</b>')), '<b>x</b>');
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]);
  const stored = encodeOutputData('image/png', png);
  assert.equal(stored, 'iVBORwD/');
  assert.deepEqual(decodeOutputData('image/png', stored), png);
  assert.deepEqual(decodeOutputData(TOKENMAP_MIME, { a: [1, 2] }), json);
  // malformed JSON in a JSON MIME is kept as text rather than lost
  assert.equal(encodeOutputData('application/json', enc.encode('{oops')), '{oops');
});
