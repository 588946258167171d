// `sea-lens dataset demo` (the demo world as a training dataset, through the real Python) and the run-config
// checks for datasets: imageFolder, .jsonl lists, images only in sub-folders.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { datasetCommand } from '../../src/cli/commands/dataset';
import { checkRunInputs, countImages, readRunConfig } from '../../src/training/runConfig';

const root = path.resolve(__dirname, '..', '..');
const PYTHON = process.env.SEALENS_PYTHON ?? '/usr/bin/python3';

function io(): { out: string[]; err: string[]; ctx: { installDir: string; stdout: (s: string) => void; stderr: (s: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, ctx: { installDir: root, stdout: (s) => void out.push(s), stderr: (s) => void err.push(s) } };
}

test('sea-lens dataset demo: writes images, caption sidecars, truth and llava.json; refuses a non-empty folder', { skip: spawnSync(PYTHON, ['-c', 'import numpy, PIL']).status === 0 ? false : `SKIPPED: ${PYTHON} lacks numpy or Pillow — set SEALENS_PYTHON`, timeout: 60_000 }, async () => {
  const d = path.join(mkdtempSync(path.join(tmpdir(), 'sealens-ds-')), 'demo');
  const { out, err, ctx } = io();
  assert.equal(await datasetCommand.run(['demo', '--n', '5', '--out', d, '--python', PYTHON], ctx), 0, err.join(''));
  const files = readdirSync(d).sort();
  assert.equal(files.filter((f) => f.endsWith('.png')).length, 5);
  assert.equal(files.filter((f) => f.endsWith('.txt')).length, 5);
  assert.equal(files.filter((f) => f.endsWith('.truth.json')).length, 5);
  const llava = JSON.parse(readFileSync(path.join(d, 'llava.json'), 'utf8')) as { image: string; conversations: { from: string; value: string }[] }[];
  assert.equal(llava.length, 5);
  assert.equal(llava[0].conversations[1].value.trim(), readFileSync(path.join(d, 'train00000.txt'), 'utf8').trim(), 'the gpt turn is the caption');
  const truth = JSON.parse(readFileSync(path.join(d, 'train00000.truth.json'), 'utf8')) as { grid: { rows: number; cols: number }; patches: unknown[] };
  assert.equal(truth.patches.length, truth.grid.rows * truth.grid.cols);
  assert.match(out.join(''), /wrote 5 images/);
  const again = io();
  assert.equal(await datasetCommand.run(['demo', '--n', '5', '--out', d, '--python', PYTHON], again.ctx), 2);
  assert.match(again.err.join(''), /exists and is not an empty folder/);
});

test('BAD CALL - sea-lens dataset: subcommand, --n and --out are checked before any Python starts', async () => {
  for (const [argv, re] of [
    [['demo', '--out', 'x'], /--n must be a whole number from 1 to 100000 \(got none\)/],
    [['demo', '--n', '0', '--out', 'x'], /--n must be .*\(got "0"\)/],
    [['demo', '--n', '3'], /--out DIR is required/],
    [['make', '--n', '3'], /expected the subcommand "demo" \(got "make"\)/],
    [['demo', '--bogus'], /Unknown option '--bogus'/],
  ] as [string[], RegExp][]) {
    const { err, ctx } = io();
    assert.equal(await datasetCommand.run(argv, ctx), 2, argv.join(' '));
    assert.match(err.join(''), re);
  }
});

test('run config: imageFolder must be a folder, .jsonl lists are datasets, images in sub-folders count', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-dscfg-'));
  mkdirSync(path.join(d, 'pack'));
  writeFileSync(path.join(d, 'pack', 'manifest.json'), '{}');
  mkdirSync(path.join(d, 'imgs', 'a', 'b'), { recursive: true });
  writeFileSync(path.join(d, 'imgs', 'a', 'b', 'x.png'), 'not really a png; only counted');
  assert.equal(countImages(path.join(d, 'imgs')), 1);
  writeFileSync(path.join(d, 'd.jsonl'), '{"image": "a/b/x.png"}\n');
  const cfgFile = path.join(d, 'c.json');
  const write = (o: object): void => writeFileSync(cfgFile, JSON.stringify({ formatVersion: 1, pack: 'pack', outputName: 'o', ...o }));
  write({ dataset: 'imgs' });
  checkRunInputs(readRunConfig(cfgFile), cfgFile);
  write({ dataset: 'd.jsonl', imageFolder: 'imgs' });
  checkRunInputs(readRunConfig(cfgFile), cfgFile);
  write({ dataset: 'd.jsonl', imageFolder: 'nope' });
  assert.throws(() => checkRunInputs(readRunConfig(cfgFile), cfgFile), /c\.json: imageFolder: .*nope is not a folder/);
  write({ dataset: 'd.jsonl', imageFolder: 7 });
  assert.throws(() => readRunConfig(cfgFile), /imageFolder: must be the folder the LLaVA JSON's image paths are relative to/);
  assert.ok(existsSync(cfgFile));
});
