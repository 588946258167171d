// Training: run-config validation, progress-line parsing, run-folder status, and the launcher against the
// real Python trainer on a tiny random pack (skipped, with the reason, when Python/PyTorch is missing).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateRunConfig, checkRunInputs, RunConfigError, readRunConfig } from '../../src/training/runConfig';
import { ProgressLineParser, parseProgressFile } from '../../src/training/progressLines';
import { createRun, listRuns, runInfo, RunBusyError } from '../../src/training/runFolder';
import { launchTraining, trainerArgs } from '../../src/training/launcher';
import { probePython, PythonError } from '../../src/training/pythonInterpreter';
import { parseFromRunView, type ProgressEvent } from '../../src/shared/trainingProtocol';

const root = path.resolve(__dirname, '..', '..');
const PYTHON = process.env.SEALENS_PYTHON ?? '/usr/bin/python3';
const base = { formatVersion: 1, pack: 'p', dataset: 'd', outputName: 'x' };
// The trainers started here check each progress event against schemas/training-progress.schema.json too.
process.env.SEALENS_CHECK_PROGRESS = '1';

test('BAD CALL - run config: each broken value names file, key, value and the allowed range', () => {
  const cases: [unknown, RegExp][] = [
    [[], /cfg\.json: the top level must be a JSON object/],
    [{ ...base, formatVersion: 2 }, /cfg\.json: formatVersion: must be 1 \(got 2\)/],
    [{ formatVersion: 1, pack: 'p', dataset: 'd' }, /cfg\.json: outputName: required/],
    [{ ...base, lambda: -0.5 }, /lambda: must be a number ≥ 0 \(got -0\.5\)/],
    [{ ...base, batchSize: 1 }, /batchSize: must be an integer ≥ 2 \(got 1\)/],
    [{ ...base, epochs: 1.5 }, /epochs: must be an integer from 1 to 10000/],
    [{ ...base, epochs: 1e9 }, /epochs: must be an integer from 1 to 10000/],
    [{ ...base, learningRate: 1e6 }, /learningRate: must be a number > 0 and ≤ 1/],
    [{ ...base, device: 'tpu' }, /device: must be one of auto, cpu, cuda \(got "tpu"\)/],
    [{ ...base, outputName: '../escape' }, /outputName: must be a name/],
    [{ ...base, learningRate: 0 }, /learningRate: must be a number > 0/],
    [{ ...base, devise: 'cpu' }, /devise: unknown key \(known: /],
    [{ ...base, allowDownload: 'yes' }, /allowDownload: must be true or false \(got "yes"\)/],
  ];
  for (const [raw, re] of cases) assert.throws(() => validateRunConfig(raw, 'cfg.json'), (e: Error) => e instanceof RunConfigError && re.test(e.message), String(re));
  assert.equal(validateRunConfig({ ...base, startAdapter: null, lambda: 0 }, 'cfg.json').lambda, 0);
});

test('BAD CALL - run config files: missing, not JSON, missing pack, empty dataset are refused before launch', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-cfg-'));
  assert.throws(() => readRunConfig(path.join(d, 'none.json')), /none\.json: cannot read the config \(ENOENT\)/);
  writeFileSync(path.join(d, 'bad.json'), '{oops');
  assert.throws(() => readRunConfig(path.join(d, 'bad.json')), /bad\.json: not valid JSON/);
  const cfgFile = path.join(d, 'c.json');
  assert.throws(() => checkRunInputs({ ...base, pack: 'nopack' } as never, cfgFile), /c\.json: pack: .*nopack has no manifest\.json/);
  mkdirSync(path.join(d, 'pack'));
  writeFileSync(path.join(d, 'pack', 'manifest.json'), '{}');
  mkdirSync(path.join(d, 'empty'));
  assert.throws(() => checkRunInputs({ ...base, pack: 'pack', dataset: 'empty' } as never, cfgFile), /dataset: .*empty holds no images .*the dataset is empty/);
  writeFileSync(path.join(d, 'list.txt'), '');
  assert.throws(() => checkRunInputs({ ...base, pack: 'pack', dataset: 'list.txt' } as never, cfgFile), /neither a folder of images, a LLaVA-style \.json list .* nor a webdataset \.tar shard/);
  // webdataset shards and Hugging Face datasets folders are the trainer's to read: let through, not refused here
  writeFileSync(path.join(d, 'one.tar'), '');
  checkRunInputs({ ...base, pack: 'pack', dataset: 'one.tar' } as never, cfgFile);
  checkRunInputs({ ...base, pack: 'pack', dataset: 'shards-{0000..0003}.tar' } as never, cfgFile);
  mkdirSync(path.join(d, 'shards'));
  writeFileSync(path.join(d, 'shards', 'a-0000.tar'), '');
  checkRunInputs({ ...base, pack: 'pack', dataset: 'shards' } as never, cfgFile);
  mkdirSync(path.join(d, 'hf', 'data'), { recursive: true });
  writeFileSync(path.join(d, 'hf', 'data', 'train-00000-of-00001.parquet'), '');
  checkRunInputs({ ...base, pack: 'pack', dataset: 'hf' } as never, cfgFile);
});

test('progress lines: split chunks, trailing line, non-JSON text and malformed events', () => {
  const events: ProgressEvent[] = [];
  const text: string[] = [];
  const p = new ProgressLineParser((e) => events.push(e), (l) => text.push(l));
  const step = JSON.stringify({ event: 'step', step: 1, totalSteps: 2, epoch: 1, loss: 1, lossG: 0.5, lossA: 0.5, tau: 0.07, logitScale: 14, lr: 1e-3, pairs: 4, pairsPerSecond: 10, imagesPerSecond: 2, elapsedSeconds: 0.1 });
  p.push(step.slice(0, 20));
  assert.equal(events.length, 0);
  p.push(step.slice(20) + '\nWarning: some library text\n{"event":"step","step":"x"}\n{broken\r\n');
  p.push('{"event":"warning","message":"no captions"}');
  p.end();
  assert.deepEqual(events.map((e) => e.event), ['step', 'warning']);
  assert.equal(text[0], 'Warning: some library text');
  assert.match(text[1], /ignored malformed progress line: progress event "step": step must be an integer \(got "x"\); totalSteps is missing/);
  assert.equal(text[2], '{broken');
  assert.equal(parseProgressFile('{"event":"nope"}\n').length, 0);
});

test('BAD CALL - run view messages are validated', () => {
  assert.deepEqual(parseFromRunView({ kind: 'cancel' }), { kind: 'cancel' });
  assert.throws(() => parseFromRunView({ kind: 'rm -rf' }), /unknown message kind/);
  assert.throws(() => parseFromRunView({ kind: 'cancel', extra: 1 }), /unexpected fields/);
  assert.throws(() => parseFromRunView(null), /not an object/);
});

test('run folders: new ids, status from the folder, refusal of a busy folder', () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'sealens-ws-'));
  const r = createRun(ws, { ...base } as never, 'run-a');
  assert.ok(existsSync(r.configFile));
  assert.throws(() => createRun(ws, { ...base } as never, 'run-a'), /already exists/);
  assert.equal(runInfo(r.dir).status, 'new');
  writeFileSync(path.join(r.dir, 'progress.jsonl'), '{"event":"start","totalSteps":3,"images":4}\n{"event":"cancelled","step":2,"totalSteps":3,"checkpoint":"c"}\n');
  assert.equal(runInfo(r.dir).status, 'cancelled');
  writeFileSync(path.join(r.dir, 'run.lock'), String(process.pid));
  assert.equal(runInfo(r.dir).status, 'running');
  assert.throws(() => launchTraining({ python: PYTHON, pythonPath: path.join(root, 'python'), configFile: r.configFile, runDir: r.dir }), RunBusyError);
  assert.equal(listRuns(ws).length, 1);
  assert.deepEqual(trainerArgs({ configFile: 'c', runDir: 'r', nprocPerNode: 2 }).slice(0, 5), ['-m', 'sealens.runner.launch', '--nproc-per-node', '2', '--']);
});

test('EXPECTED FAILURE - a missing interpreter says which setting to change', async () => {
  await assert.rejects(probePython('/nonexistent/python3'), (e: Error) => e instanceof PythonError && /No Python interpreter at .*seaLens\.pythonPath/.test(e.message));
});

function pythonWithTorch(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx, PIL'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `SKIPPED: ${PYTHON} cannot import torch, onnx and PIL (${(r.stderr || String(r.error)).trim().split('\n').pop()}) — set SEALENS_PYTHON`;
}

test('launcher: trains a tiny pack to the end, reports progress and exports the adapter', { timeout: 120_000 }, async (t) => {
  const why = pythonWithTorch();
  if (why) return t.skip(why);
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-train-'));
  const b = spawnSync(PYTHON, ['-m', 'sealens.runner.tinypack', d], { env: { ...process.env, PYTHONPATH: path.join(root, 'python') }, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const cfg = { ...base, pack: 'pack', dataset: 'images', outputName: 'ft', startAdapter: 'base', epochs: 2, batchSize: 4, validationImages: 2, checkpointEvery: 2, device: 'cpu' };
  const r = createRun(d, cfg as never, 'r1');
  // relative paths resolve against the config's folder
  writeFileSync(r.configFile, JSON.stringify({ ...cfg, pack: '../../../pack', dataset: '../../../images' }));
  const events: ProgressEvent[] = [];
  const run = launchTraining({ python: PYTHON, pythonPath: path.join(root, 'python'), configFile: r.configFile, runDir: r.dir, threads: 1, onEvent: (e) => events.push(e) });
  assert.throws(() => launchTraining({ python: PYTHON, pythonPath: path.join(root, 'python'), configFile: r.configFile, runDir: r.dir }), RunBusyError);
  const res = await run.done;
  assert.equal(res.outcome, 'finished', res.error);
  assert.equal(events[0].event, 'environment', 'the trainer reports the interpreter it really uses first');
  const written = readFileSync(path.join(r.dir, 'progress.jsonl'), 'utf8').split('\n').filter(Boolean);
  assert.equal(events.length, written.length, 'every line the trainer wrote passes schemas/training-progress.schema.json on the TS side');
  const steps = events.filter((e) => e.event === 'step');
  assert.equal(steps.length, 6); // 10 training images, batch 4 -> 3 steps per epoch
  assert.ok(res.summary && res.summary.pairsPerSecond > 0);
  assert.ok(existsSync(path.join(r.dir, 'out', 'adapter.safetensors')) && existsSync(path.join(r.dir, 'out', 'adapter.onnx')));
  assert.equal(JSON.parse(readFileSync(path.join(r.dir, 'pack', 'manifest.json'), 'utf8')).defaultAdapter, 'ft');
  assert.equal(runInfo(r.dir).status, 'finished');
});

/** A folder that shadows `torch` on PYTHONPATH: importing it fails loudly, its metadata says `version`. */
function fakeTorch(version: string): string {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-faketorch-'));
  mkdirSync(path.join(d, 'torch'));
  writeFileSync(path.join(d, 'torch', '__init__.py'), 'raise SystemExit("the probe imported torch")\n');
  mkdirSync(path.join(d, `torch-${version}.dist-info`));
  writeFileSync(path.join(d, `torch-${version}.dist-info`, 'METADATA'), `Metadata-Version: 2.1\nName: torch\nVersion: ${version}\n`);
  return d;
}

test('interpreter probe: reads torch\'s version from package metadata and never imports torch', async (t) => {
  if (spawnSync(PYTHON, ['-c', 'import importlib.metadata']).status !== 0) return t.skip(`SKIPPED: no Python 3.8+ at ${PYTHON} — set SEALENS_PYTHON`);
  const info = await probePython(PYTHON, 30_000, { ...process.env, PYTHONPATH: fakeTorch('2.5.1') });
  assert.equal(info.torch, '2.5.1');
  assert.equal(info.cuda, null, 'CUDA is only known once the trainer imported torch');
  await assert.rejects(probePython(PYTHON, 30_000, { ...process.env, PYTHONPATH: fakeTorch('1.12.1') }),
    (e: Error) => e instanceof PythonError && /has PyTorch 1\.12\.1; the trainer needs 1\.13 or newer.*pip install -U "torch>=1\.13"/.test(e.message));
});

test('a restored Before/after panel finds its run (and so the run\'s overlay pack), never another pack', async () => {
  const { runForComparePanel } = await import('../../src/training/runLookup');
  const ws = mkdtempSync(path.join(tmpdir(), 'sealens-lookup-'));
  const finished = (id: string, adapter: string): void => {
    const r = createRun(ws, { ...base } as never, id);
    mkdirSync(path.join(r.dir, 'pack'));
    writeFileSync(path.join(r.dir, 'pack', 'manifest.json'), '{}');
    writeFileSync(path.join(r.dir, 'summary.json'), JSON.stringify({ status: 'done', pack: path.join(r.dir, 'pack'), adapter, baseAdapter: 'baseline', evaluation: { before: {}, after: {} } }));
  };
  finished('20260101-000000-sea', 'sea');
  finished('20260102-000000-sea', 'sea');
  finished('20260103-000000-other', 'other');
  createRun(ws, { ...base } as never, '20260104-000000-sea'); // not finished: never a match
  const runs = listRuns(ws);
  assert.equal(runForComparePanel(runs, 'Before/after: 20260101-000000-sea', { adapter: 'baseline', adapterB: 'sea' })?.id, '20260101-000000-sea');
  // an older title without the id: the newest finished run that trained the panel's adapter
  assert.equal(runForComparePanel(runs, 'Before/after: sea', { adapter: 'baseline', adapterB: 'sea' })?.id, '20260102-000000-sea');
  assert.equal(runForComparePanel(runs, 'Before/after: x', { adapter: 'baseline', adapterB: 'nope' }), undefined);
  // a run whose overlay pack was deleted cannot be restored
  rmSync(path.join(ws, '.sealens', 'runs', '20260101-000000-sea', 'pack'), { recursive: true });
  assert.equal(runForComparePanel(listRuns(ws), 'Before/after: 20260101-000000-sea', {})?.id, undefined);
});
