// Notebook files are data anyone can edit: stored outputs are size-checked before anything allocates by
// them, and the parser never crashes or hangs on any input — every rejection is a NotebookFormatError
// (property test, fast-check with a fixed seed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { NotebookFormatError, parseNotebook } from '../../src/notebook/notebookFile';
import { storedOutputSizeProblem, COMPARE_MIME, LABELS_MIME, WORDS_NEAR_MIME } from '../../src/shared/notebookFormat';
import { LIMITS } from '../../src/shared/mediaLimits';
import { TOKENMAP_MIME } from '../../src/shared/tokenMap';
import { checkOutputSize, PayloadError } from '../../webview/notebook/validatePayload';

const root = path.resolve(__dirname, '..', '..');
const notebookWith = (mime: string, data: unknown): string =>
  JSON.stringify({ version: 1, cells: [{ kind: 'code', source: 'explain x.png', outputs: [{ mime, data }] }] });
const hugeTokenMap = { version: 1, image: 'x.png', pack: 'p', adapter: 'sea', device: 'cpu', grid: { rows: 10000, cols: 10000 }, patches: [], timings: {} };

test('BAD INPUT - a small file whose TokenMap claims a 10000×10000 grid is refused, naming the field', () => {
  const text = notebookWith(TOKENMAP_MIME, hugeTokenMap);
  assert.ok(text.length < 300);
  assert.throws(() => parseNotebook(text, 'big.sealens'), (e: Error) => {
    assert.ok(e instanceof NotebookFormatError);
    assert.match(e.message, /^big\.sealens: cells\[0\]\.outputs\[0\]\.data\.grid must have whole rows and cols from 1 to 4096, found \{"rows":10000,"cols":10000\}/);
    return true;
  });
});

test('BAD INPUT - grid within the sides but over the cell limit, and patches that do not fill the grid', () => {
  const cells = LIMITS.maxGridCells;
  assert.match(storedOutputSizeProblem(TOKENMAP_MIME, { grid: { rows: 4096, cols: 4096 }, patches: [] }) ?? '', new RegExp(`data\\.grid is 4096×4096 = 16777216 cells; at most ${cells}`));
  assert.match(storedOutputSizeProblem(TOKENMAP_MIME, { grid: { rows: 2, cols: 3 }, patches: [{}, {}] }) ?? '', /data\.patches has 2 entries but its grid has 6 cells/);
  assert.match(storedOutputSizeProblem(COMPARE_MIME, { result: { a: { grid: { rows: 1, cols: 1 }, patches: [{}] }, b: hugeTokenMap } }) ?? '', /data\.result\.b\.grid/);
  assert.match(storedOutputSizeProblem(LABELS_MIME, { result: { grid: { rows: 0, cols: 3 }, patches: [] } }) ?? '', /data\.result\.grid must have whole rows/);
  assert.match(storedOutputSizeProblem(WORDS_NEAR_MIME, { map: { grid: { rows: 2, cols: 2 }, values: [1, 2, 3] }, tokenMap: {} }) ?? '', /data\.map\.values has 3 entries but its grid has 4 cells/);
  assert.equal(storedOutputSizeProblem(TOKENMAP_MIME, { grid: { rows: 2, cols: 3 }, patches: new Array(6).fill({}) }), undefined);
  assert.equal(storedOutputSizeProblem('text/plain', 'anything'), undefined);
  // the renderer (outputs that come from Jupyter, not through the file parser) applies the same check
  assert.throws(() => checkOutputSize(TOKENMAP_MIME, hugeTokenMap), PayloadError);
});

test('BAD INPUT - a notebook over the size limit is refused before it is parsed', () => {
  const text = ' '.repeat(LIMITS.maxNotebookBytes) + '{}';
  assert.throws(() => parseNotebook(text, 'huge.sealens'), /huge\.sealens is 64 MiB; SEA Lens opens notebooks up to 64 MiB/);
});

test('BAD INPUT - `sea-lens notebook run` on the huge-grid file: refused at once, in bounded memory, exit 2 (unreadable notebook)', (t) => {
  const cli = path.join(root, 'dist', 'cli.js');
  if (!existsSync(cli)) return t.skip('SKIPPED: dist/cli.js is not built (node esbuild.mjs)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-nb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'big.sealens'), notebookWith(TOKENMAP_MIME, hugeTokenMap));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', cli, 'notebook', 'run', path.join(dir, 'big.sealens'), '--out', path.join(dir, 'o.sealens')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /big\.sealens: cells\[0\]\.outputs\[0\]\.data\.grid must have whole rows and cols/);
  assert.doesNotMatch(r.stderr, /heap|FATAL| {4}at /);
  assert.ok(Date.now() - t0 < 30_000);
});

// ------------------------------------------------------------------ property: no crash, no hang
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, 10000, 4096, 65536, ''),
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.constantFrom('version', 'cells', 'kind', 'source', 'outputs', 'mime', 'data', 'grid', 'rows', 'cols', 'patches', 'views', 'result', 'a', 'b', 'map', 'values', 'tokenMap', 'hits', 'changed', '__proto__', 'x'), tie('value'), { maxKeys: 6 }),
  ),
})).value;
const mimes = fc.constantFrom(TOKENMAP_MIME, COMPARE_MIME, LABELS_MIME, WORDS_NEAR_MIME, 'application/vnd.sealens.neighbors+json', 'text/plain', 'image/png', 'application/json', '');
const cell = fc.record({ kind: fc.constantFrom('code', 'markdown', 'raw'), source: fc.oneof(fc.string(), fc.integer()), outputs: fc.array(fc.record({ mime: mimes, data: jsonValue }), { maxLength: 3 }) }, { requiredKeys: [] });
const notebookish = fc.oneof(
  fc.record({ version: fc.constantFrom(1, 2, '1'), cells: fc.oneof(fc.array(cell, { maxLength: 4 }), jsonValue) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  jsonValue.map((v) => JSON.stringify(v) ?? ''),
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 1, max: 5000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
);

test('PROPERTY - parseNotebook never crashes: any input parses or throws NotebookFormatError (2,000 cases, seed 42)', () => {
  fc.assert(fc.property(notebookish, (text) => {
    const t0 = Date.now();
    try {
      parseNotebook(text, 'p.sealens');
    } catch (e) {
      if (!(e instanceof NotebookFormatError)) throw new Error(`untyped rejection ${(e as Error)?.name}: ${(e as Error)?.message} for ${text.slice(0, 200)}`);
    }
    assert.ok(Date.now() - t0 < 1000, 'no input takes a second');
  }), { seed: 42, numRuns: 2000 });
});
