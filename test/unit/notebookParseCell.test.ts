// The sealens-cell language: what parses, and errors that point at the exact line and column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPosition, parseCell } from '../../src/notebook/parseCell';

test('every command parses, with comments, blank lines, quotes and options', () => {
  const src = [
    '# a comment',
    'explain samples/cat.png adapter=sea topk=3  # trailing comment',
    '',
    'compare "my images/cat 1.png" baseline sea',
    'labels cat.png seed=7',
    'neighbors "red # car" in samples limit=5',
    'words cat.png near "cat"',
    'metrics samples adapter=baseline',
    'pack ../packs/tiny',
  ].join('\n');
  const { commands, errors } = parseCell(src);
  assert.deepEqual(errors, []);
  assert.deepEqual(commands.map((c) => c.name), ['explain', 'compare', 'labels', 'neighbors', 'words', 'metrics', 'pack']);
  const [explain, compare, labels, neighbors, words] = commands;
  assert.equal(explain.args.image.value, 'samples/cat.png');
  assert.deepEqual([explain.options.adapter.value, explain.options.topk.value], ['sea', 3]);
  assert.deepEqual([explain.line, explain.args.image.start, explain.args.image.end], [1, 8, 23]);
  assert.equal(compare.args.image.value, 'my images/cat 1.png');
  assert.deepEqual([compare.args.adapterA.value, compare.args.adapterB.value], ['baseline', 'sea']);
  assert.equal(labels.options.seed.value, 7);
  assert.equal(neighbors.args.word.value, 'red # car');
  assert.equal(neighbors.options.limit.value, 5);
  assert.equal(words.args.word.value, 'cat');
});

test('escaped quotes inside a word', () => {
  const { commands } = parseCell('words a.png near "say \\"hi\\""');
  assert.equal(commands[0].args.word.value, 'say "hi"');
});

const bad: [string, string, number, number, RegExp][] = [
  ['unknown command with a suggestion', 'explain a.png\n  explian b.png', 1, 2, /Unknown command "explian"\. Did you mean "explain"\?/],
  ['missing argument', 'compare a.png sea', 0, 17, /compare: missing <adapterB>\. Usage: compare <image> <adapterA> <adapterB>/],
  ['too many arguments', 'labels a.png b.png', 0, 13, /unexpected "b\.png" \(it takes 1 argument\)/],
  ["unknown option", "explain a.png topn=3", 0, 14, /unknown option "topn". Did you mean "topk"\? Options: adapter, topk/],
  ['option out of range', 'explain a.png topk=0', 0, 19, /topk must be a whole number from 1 to 50, found "0"/],
  ['option not a number', 'explain a.png topk=five', 0, 19, /found "five"/],
  ['option without value', 'metrics dir adapter=', 0, 12, /option adapter= needs a value/],
  ['word without quotes', 'words a.png near cat', 0, 17, /put the word in double quotes/],
  ['missing keyword', 'neighbors "cat" within samples', 0, 16, /expected the keyword "in" here, found "within"/],
  ['unterminated string', 'neighbors "cat in samples', 0, 10, /Unterminated string/],
  ['options on a command without options', 'pack p x=1', 0, 7, /unknown option "x"\. It takes no options/],
];
for (const [what, src, line, col, message] of bad) {
  test(`EXPECTED FAILURE - ${what}: line ${line + 1}, column ${col + 1}`, () => {
    const { errors } = parseCell(src);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0].message, message);
    assert.deepEqual([errors[0].line, errors[0].start], [line, col]);
    assert.ok(errors[0].end > errors[0].start);
  });
}

test('each bad line is reported; good lines still parse', () => {
  const { commands, errors } = parseCell('frobnicate\nlabels a.png\nexplain');
  assert.equal(commands.length, 1);
  assert.deepEqual(errors.map((e) => e.line), [0, 2]);
  assert.equal(formatPosition(errors[1]), 'line 3, column 8');
});

test('the starter notebook parses with no errors in any cell and round-trips byte for byte', async () => {
  const { readFile } = await import('node:fs/promises');
  const { parseNotebook, formatNotebook } = await import('../../src/notebook/notebookFile');
  const text = await readFile(new URL('../../media/notebooks/starter.sealens', import.meta.url), 'utf8');
  const doc = parseNotebook(text, 'starter.sealens');
  assert.equal(formatNotebook(doc), text);
  const code = doc.cells.filter((c) => c.kind === 'code');
  assert.deepEqual(code.map((c) => parseCell(c.source).errors), code.map(() => []));
  assert.deepEqual([...new Set(code.flatMap((c) => parseCell(c.source).commands.map((x) => x.name)))], ['explain', 'labels', 'compare', 'words', 'metrics']);
});
