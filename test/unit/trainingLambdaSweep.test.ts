// λ sweep (src/training/lambdaSweep.ts): parsing the λ list, the rule "best alignment within 5 % caption
// loss" on hand-made summaries (each branch), and a real sweep of the demo pack from its `baseline`
// adapter over a demo-world dataset with the Python trainer (skipped, with the reason, without PyTorch).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseLambdas, readSweep, sweepConfigs, sweepLambdas, sweepTable, writeSweepComparison, SweepError, SWEEPS_DIR, type SweepRun } from '../../src/training/lambdaSweep';
import { sweepCommand } from '../../src/cli/commands/sweep';
import { validateRunConfig } from '../../src/training/runConfig';
import type { RunConfig, RunSummary } from '../../src/shared/trainingProtocol';

const root = path.resolve(__dirname, '..', '..');
const PYTHON = process.env.SEALENS_PYTHON ?? '/usr/bin/python3';

test('BAD INPUT - λ lists: numbers ≥ 0, no repeats, 2 to 12 of them, each error says which', () => {
  assert.deepEqual(parseLambdas('0, 0.5 1;2'), [0, 0.5, 1, 2]);
  assert.deepEqual(parseLambdas('1e-2,1'), [0.01, 1]);
  assert.throws(() => parseLambdas('0, -1'), (e: Error) => e instanceof SweepError && /numbers ≥ 0 .*got "-1"/.test(e.message));
  assert.throws(() => parseLambdas('0, one'), /got "one"/);
  assert.throws(() => parseLambdas('1, 1.0'), /λ = 1 is listed twice/);
  assert.throws(() => parseLambdas('1'), /at least two λ values \(got 1\)/);
  assert.throws(() => parseLambdas(Array.from({ length: 13 }, (_, i) => i).join(',')), /at most 12 values \(got 13\)/);
});

test('one valid run config per λ, the rest of the config unchanged', () => {
  const base = { formatVersion: 1 as const, pack: 'p', dataset: 'd', outputName: 'sea', startAdapter: 'baseline', epochs: 2, seed: 7 };
  const cfgs = sweepConfigs(base, [0, 0.5, 1]);
  assert.deepEqual(cfgs.map((c) => [c.lambda, c.outputName]), [[0, 'sea-l0'], [0.5, 'sea-l0.5'], [1, 'sea-l1']]);
  for (const c of cfgs) {
    assert.equal(validateRunConfig(c, 'sweep').outputName, c.outputName);
    assert.equal(c.seed, 7);
  }
});

test('several λ in one config: the sweep takes the config\'s lambdas unless given, and each run trains one λ', () => {
  const base: RunConfig = { formatVersion: 1, pack: 'p', dataset: 'd', outputName: 'sea', lambdas: [0, 1, 8] };
  assert.equal(validateRunConfig(base, 'sweep').lambdas?.length, 3, 'the schema allows a λ list');
  assert.deepEqual(sweepLambdas(undefined, base), [0, 1, 8]);
  assert.deepEqual(sweepLambdas('0, 2', base), [0, 2], 'the flag / input box wins');
  const cfgs = sweepConfigs(base, sweepLambdas(undefined, base));
  assert.deepEqual(cfgs.map((c) => [c.lambda, 'lambdas' in c]), [[0, false], [1, false], [8, false]]);
  assert.throws(() => sweepLambdas(undefined, { ...base, lambdas: undefined }), /no λ values: give them .* or put "lambdas"/);
  assert.throws(() => sweepLambdas(undefined, { ...base, lambdas: [1, 1] }), /λ = 1 is listed twice/);
  assert.throws(() => validateRunConfig({ ...base, lambdas: [1] }, 'c.json'), /lambdas: must be a list of 2 to 12 numbers ≥ 0/);
});

function summary(lambda: number, before: Record<string, number>, after: Record<string, number>): RunSummary {
  return { status: 'done', lambda, evaluation: { before: { images: 8, modalityGap: 1, tacs: null, ...before }, after: { images: 8, modalityGap: 1, tacs: null, ...after }, evaluatedOn: 'validation' } } as unknown as RunSummary;
}

test('the rule: the λ = 0 run is the reference; the most accurate run within 5 % caption loss wins', () => {
  const runs: SweepRun[] = [
    { id: 'r0', lambda: 0, summary: summary(0, { captionLoss: 1.2 }, { captionLoss: 1.0, patchWordAccuracy: 0.1 }) },
    { id: 'r1', lambda: 1, summary: summary(1, { captionLoss: 1.2 }, { captionLoss: 1.05, patchWordAccuracy: 0.8 }) },   // +5.0 %: inside
    { id: 'r4', lambda: 4, summary: summary(4, { captionLoss: 1.2 }, { captionLoss: 1.2, patchWordAccuracy: 0.9 }) },    // +20 %: outside
    { id: 'rx', lambda: 8 },                                                                                              // failed
  ];
  const t = sweepTable(runs);
  assert.equal(t.best?.id, 'r1');
  assert.equal(t.alignmentMetric, 'patchWordAccuracy');
  assert.match(t.rule, /at most 5 % above the caption-only run \(λ = 0, r0\)/);
  assert.deepEqual(t.rows.map((r) => [r.lambda, r.withinTolerance, r.finished]), [[0, true, true], [1, true, true], [4, false, true], [8, null, false]]);
});

test('the rule without a λ = 0 run uses the start adapter; without truth, label agreement; without captions, accuracy alone', () => {
  const noZero = sweepTable([
    { id: 'a', lambda: 0.5, summary: summary(0.5, { captionLoss: 1 }, { captionLoss: 1.04, labelAgreement: 0.5 }) },
    { id: 'b', lambda: 2, summary: summary(2, { captionLoss: 1 }, { captionLoss: 1.06, labelAgreement: 0.9 }) },
  ]);
  assert.equal(noZero.best?.id, 'a');
  assert.equal(noZero.alignmentMetric, 'labelAgreement');
  assert.match(noZero.rule, /the start adapter before training \(1\.0000\)/);
  const noCaptions = sweepTable([
    { id: 'a', lambda: 0.5, summary: summary(0.5, {}, { labelAgreement: 0.5 }) },
    { id: 'b', lambda: 2, summary: summary(2, {}, { labelAgreement: 0.9 }) },
  ]);
  assert.equal(noCaptions.best?.id, 'b');
  assert.match(noCaptions.rule, /no caption loss was measured/);
  const nothing = sweepTable([{ id: 'a', lambda: 1 }, { id: 'b', lambda: 2 }]);
  assert.equal(nothing.best, undefined);
});

function io(): { out: string[]; err: string[]; ctx: { installDir: string; stdout: (s: string) => void; stderr: (s: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, ctx: { installDir: root, stdout: (x) => out.push(x), stderr: (x) => err.push(x) } };
}

test('BAD CALL - sea-lens sweep: missing flags, a bad λ list and a broken config exit 2 with the reason', async () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-sweep-bad-'));
  try {
    let r = io();
    assert.equal(await sweepCommand.run(['--lambdas', '0,1'], r.ctx), 2);
    assert.match(r.err.join(''), /--config FILE is required/);
    const cfg = path.join(d, 'c.json');
    writeFileSync(cfg, JSON.stringify({ formatVersion: 1, pack: 'p', dataset: 'd', outputName: 'o' }));
    r = io();
    assert.equal(await sweepCommand.run(['--config', cfg], r.ctx), 2);
    assert.match(r.err.join(''), /lambdas: no λ values: give them/);
    r = io();
    assert.equal(await sweepCommand.run(['--config', cfg, '--lambdas', '0,-2'], r.ctx), 2);
    assert.match(r.err.join(''), /--lambdas: λ values must be numbers ≥ 0 .*got "-2"/);
    writeFileSync(cfg, '{"formatVersion": 1,');
    r = io();
    assert.equal(await sweepCommand.run(['--config', cfg, '--lambdas', '0,1', '--workspace', d], r.ctx), 2);
    assert.match(r.err.join(''), /c\.json/);
    r = io();
    assert.equal(await sweepCommand.run(['--config', cfg, '--lambdas', '0,1', '--threads', '0'], r.ctx), 2);
    assert.match(r.err.join(''), /--threads must be an integer ≥ 1/);
    assert.equal(existsSync(path.join(d, SWEEPS_DIR)), false, 'nothing is created for bad input');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

function pythonWithTorch(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx, PIL'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `SKIPPED: ${PYTHON} cannot import torch, onnx and PIL — set SEALENS_PYTHON`;
}

test('a real sweep of the demo pack: one run per λ, the table from their summaries, the pick obeys the rule', { timeout: 600_000 }, async (t) => {
  const why = pythonWithTorch();
  if (why) return t.skip(why);
  const ws = mkdtempSync(path.join(tmpdir(), 'sealens-sweep-'));
  try {
    const data = path.join(ws, 'data');
    const g = spawnSync(PYTHON, ['-m', 'sealens.demo_dataset', '--n', '40', '--out', data], { env: { ...process.env, PYTHONPATH: path.join(root, 'python') }, encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    // the config names its data relative to its own folder: the sweep's run folders must still find it
    const cfgFile = path.join(ws, 'sweep-base.json');
    writeFileSync(cfgFile, JSON.stringify({ formatVersion: 1, pack: path.join(root, 'media', 'demo-pack'), dataset: 'data', outputName: 'sea', startAdapter: 'baseline', epochs: 1, batchSize: 8, learningRate: 0.003, validationImages: 16, checkpointEvery: 100, device: 'cpu' }));
    const { out, err, ctx } = io();
    const code = await sweepCommand.run(['--config', cfgFile, '--lambdas', '0,1,8', '--workspace', ws, '--python', PYTHON, '--threads', '1'], ctx);
    assert.equal(code, 0, err.join(''));
    const sweeps = readdirSync(path.join(ws, SWEEPS_DIR));
    assert.equal(sweeps.length, 1);
    const sweep = { dir: path.join(ws, SWEEPS_DIR, sweeps[0]) };
    assert.match(out.join(''), /Pick: \*\*λ = /);
    const runs = readSweep(ws, sweep.dir);
    assert.deepEqual(runs.map((r) => [r.lambda, r.summary?.lambda]), [[0, 0], [1, 1], [8, 8]]);
    const { file, table } = writeSweepComparison(ws, sweep.dir);
    assert.ok(existsSync(file));
    assert.equal(table.alignmentMetric, 'patchWordAccuracy');
    assert.equal(table.reference?.source.startsWith('the caption-only run'), true);
    // every run starts from the same adapter on the same validation images: one "before"
    const befores = new Set(runs.map((r) => (r.summary!.evaluation.before as { captionLoss?: number }).captionLoss));
    assert.equal(befores.size, 1);
    // the pick is the most accurate run among those within 5 % of the λ = 0 run's caption loss
    const ref = table.reference!.captionLoss;
    const ok = table.rows.filter((r) => r.captionLoss! <= ref * 1.05 + 1e-12);
    const want = ok.sort((a, b) => b.alignment! - a.alignment! || a.lambda - b.lambda)[0];
    assert.equal(table.best?.lambda, want.lambda);
    const md = readFileSync(file, 'utf8');
    assert.match(md, new RegExp(`Pick: \\*\\*λ = ${want.lambda}\\*\\*`));
    t.diagnostic(md);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
