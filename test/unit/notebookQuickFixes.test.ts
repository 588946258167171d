// Problems in cells: every problem of a line is reported (not only the first), and the ones with an
// obvious repair carry it — the editor's quick fixes ("Did you mean 'explain'?") apply exactly these.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCell } from '../../src/notebook/parseCell';
import { closestName, editDistance } from '../../src/notebook/closestName';

/** Applies an error's fix to the source, as the quick fix's WorkspaceEdit does. */
function applyFix(src: string, e: { line: number; start: number; end: number; fix?: { text: string } }): string {
  const lines = src.split('\n');
  lines[e.line] = lines[e.line].slice(0, e.start) + e.fix!.text + lines[e.line].slice(e.end);
  return lines.join('\n');
}

test('edit distance and the closest name', () => {
  assert.equal(editDistance('explian', 'explain'), 2);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(closestName('explian', ['explain', 'compare', 'labels']), 'explain');
  assert.equal(closestName('EXPLAIN', ['explain']), 'explain');
  assert.equal(closestName('metric', ['metrics', 'words']), 'metrics');
  assert.equal(closestName('zzz', ['explain', 'compare']), undefined, 'nothing within two edits');
});

const fixes: [string, string, string, string][] = [
  ['misspelt command', 'explian a.png', 'Change to "explain"', 'explain a.png'],
  ['command in capitals', 'Metrics dir', 'Change to "metrics"', 'metrics dir'],
  ['misspelt option', 'explain a.png topn=3', 'Change to "topk"', 'explain a.png topk=3'],
  ['wrong keyword', 'neighbors "cat" inn samples', 'Change to "in"', 'neighbors "cat" in samples'],
  ['unquoted word', 'words a.png near cat', 'Quote as "cat"', 'words a.png near "cat"'],
];
for (const [what, src, title, fixed] of fixes) {
  test(`quick fix - ${what}: ${title}`, () => {
    const { errors } = parseCell(src);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0].fix?.title, title);
    const after = applyFix(src, errors[0]);
    assert.equal(after, fixed);
    assert.deepEqual(parseCell(after).errors, [], 'the fix leaves no problem');
  });
}

test('no quick fix where nothing is close: an unknown command far from every name', () => {
  const { errors } = parseCell('frobnicate a.png');
  assert.equal(errors.length, 1);
  assert.equal(errors[0].fix, undefined);
  assert.doesNotMatch(errors[0].message, /Did you mean/);
});

test('every problem on a line is reported, each at its own columns', () => {
  const src = 'explain a.png b.png topn=3 topk=0';
  const { errors, commands } = parseCell(src);
  assert.equal(commands.length, 0, 'a line with problems does not run');
  assert.deepEqual(errors.map((e) => [e.start, e.end]), [[14, 19], [20, 24], [32, 33]]);
  assert.match(errors[0].message, /unexpected "b\.png"/);
  assert.match(errors[1].message, /unknown option "topn"\. Did you mean "topk"\?/);
  assert.match(errors[2].message, /topk must be a whole number from 1 to 50, found "0"/);
});

test('several problems on several lines: all of them, in order', () => {
  const src = ['neighbors cat inside samples limit=x', 'explain a.png', 'words a.png near water adapter='].join('\n');
  const { errors, commands } = parseCell(src);
  assert.deepEqual(commands.map((c) => c.name), ['explain']);
  assert.deepEqual(errors.map((e) => [e.line, e.start]), [[0, 10], [0, 14], [0, 35], [2, 17], [2, 23]]);
  assert.deepEqual(errors.map((e) => e.fix?.text), ['"cat"', 'in', undefined, '"water"', undefined]);
});

test('a missing argument is reported once, with the problems of the options beside it', () => {
  const { errors } = parseCell('compare a.png topk=3');
  assert.equal(errors.length, 2);
  assert.match(errors[0].message, /compare: missing <adapterA>/);
  assert.match(errors[1].message, /unknown option "topk"\. It takes no options/);
});
