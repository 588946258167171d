// The adapter list every picker shows (src/training/adapterChoices.ts): the pack's own adapters, then the
// adapter of each finished run of that pack, labelled by run, on run folders laid out as the trainer
// leaves them (config.json from createRun, summary.json, pack/manifest.json) in a temp workspace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRun } from '../../src/training/runFolder';
import { defaultAdapterChoice, findAdapterChoice, listAdapterChoices, runAdapterLabel, runStamp, type PackAdapters } from '../../src/training/adapterChoices';

const root = path.resolve(__dirname, '..', '..');
const demoManifest = JSON.parse(readFileSync(path.join(root, 'media', 'demo-pack', 'manifest.json'), 'utf8')) as { adapters: { name: string; description?: string }[]; defaultAdapter: string };

function workspace(): { ws: string; pack: string; other: string } {
  const ws = mkdtempSync(path.join(tmpdir(), 'sealens-choices-'));
  const pack = path.join(ws, 'packs', 'demo');
  const other = path.join(ws, 'packs', 'other');
  for (const p of [pack, other]) {
    mkdirSync(p, { recursive: true });
    cpSync(path.join(root, 'media', 'demo-pack', 'manifest.json'), path.join(p, 'manifest.json'));
  }
  return { ws, pack, other };
}

const packOf = (dir: string): PackAdapters => ({ dir, adapters: demoManifest.adapters, defaultAdapter: demoManifest.defaultAdapter });

/** A run folder as the trainer leaves it: config.json, then (finished) summary.json and the overlay pack. */
function run(ws: string, id: string, cfg: { pack: string; outputName: string; startAdapter?: string | null; lambda?: number }, finished?: { steps: number; adapter: string }): string {
  const { dir } = createRun(ws, { formatVersion: 1, dataset: 'data', ...cfg }, id);
  if (finished) {
    const overlay = path.join(dir, 'pack');
    mkdirSync(overlay, { recursive: true });
    const m = { ...demoManifest, adapters: [{ name: finished.adapter }, ...demoManifest.adapters], defaultAdapter: finished.adapter };
    writeFileSync(path.join(overlay, 'manifest.json'), JSON.stringify(m));
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ status: 'done', steps: finished.steps, pack: overlay, adapter: finished.adapter, lambda: cfg.lambda ?? 1, baseAdapter: cfg.startAdapter ?? null }));
  } else {
    writeFileSync(path.join(dir, 'progress.jsonl'), JSON.stringify({ event: 'error', kind: 'input', message: 'no images' }) + '\n');
  }
  return dir;
}

test('run labels: date and time from the run id, then adapter and step', () => {
  assert.equal(runStamp('20261129-120301-sea-fresh'), '2026-11-29-120301');
  assert.equal(runStamp('my-own-run'), 'my-own-run');
  assert.equal(runAdapterLabel({ id: '20261129-120301-sea', adapter: 'sea-trained', steps: 2000 }), 'run 2026-11-29-120301 · sea-trained · step 2000');
});

test('the pack\'s adapters first, then every finished run of that pack, newest first; other packs\' and unfinished runs are left out', () => {
  const { ws, pack, other } = workspace();
  try {
    run(ws, '20261129-100000-a', { pack, outputName: 'a', startAdapter: 'baseline', lambda: 0.5 }, { steps: 40, adapter: 'a' });
    // relative to the config file, as a config written by hand may say
    run(ws, '20261129-110000-b', { pack: path.join('..', '..', '..', 'packs', 'demo'), outputName: 'b' }, { steps: 80, adapter: 'b' });
    run(ws, '20261129-120000-c', { pack: other, outputName: 'c' }, { steps: 10, adapter: 'c' });
    run(ws, '20261129-130000-d', { pack, outputName: 'd' });
    const gone = run(ws, '20261129-140000-e', { pack, outputName: 'e' }, { steps: 5, adapter: 'e' });
    rmSync(path.join(gone, 'pack'), { recursive: true });

    const choices = listAdapterChoices(packOf(pack), ws);
    assert.deepEqual(choices.map((c) => c.label), ['sea', 'baseline', 'run 2026-11-29-110000 · b · step 80', 'run 2026-11-29-100000 · a · step 40']);
    const a = choices[3];
    assert.equal(a.pack, path.join(ws, '.sealens', 'runs', '20261129-100000-a', 'pack'));
    assert.equal(a.adapter, 'a');
    assert.equal(a.run?.id, '20261129-100000-a');
    assert.match(a.description!, /from baseline, λ = 0\.5/);
    assert.equal(choices[0].pack, pack);
    assert.equal(defaultAdapterChoice(choices)?.label, 'sea');

    // the other pack sees only its own run
    assert.deepEqual(listAdapterChoices(packOf(other), ws).map((c) => c.label), ['sea', 'baseline', 'run 2026-11-29-120000 · c · step 10']);
    // no workspace: the pack's adapters only
    assert.deepEqual(listAdapterChoices(packOf(pack), undefined).map((c) => c.label), ['sea', 'baseline']);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a run overlay as the active pack lists the base pack\'s other runs, not its own adapter twice; links resolve', () => {
  const { ws, pack } = workspace();
  try {
    const a = run(ws, '20261129-100000-a', { pack, outputName: 'a' }, { steps: 40, adapter: 'a' });
    run(ws, '20261129-110000-b', { pack, outputName: 'b' }, { steps: 80, adapter: 'b' });
    const overlay = path.join(a, 'pack');
    const ownOfOverlay: PackAdapters = { dir: overlay, adapters: [{ name: 'a' }, ...demoManifest.adapters], defaultAdapter: 'a' };
    assert.deepEqual(listAdapterChoices(ownOfOverlay, ws).map((c) => c.label), ['a', 'sea', 'baseline', 'run 2026-11-29-110000 · b · step 80']);
    // the same pack reached through a symbolic link is the same pack
    const link = path.join(ws, 'demo-link');
    symlinkSync(pack, link);
    assert.equal(listAdapterChoices(packOf(link), ws).length, 4);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('stored names: labels, and plain pack adapter names from older settings; two runs in one second stay apart', () => {
  const { ws, pack } = workspace();
  try {
    run(ws, '20261129-100000-x', { pack, outputName: 'x' }, { steps: 40, adapter: 'x' });
    // a hand-made id whose stamp and adapter repeat another run's
    run(ws, '20261129-100000-y', { pack, outputName: 'x' }, { steps: 40, adapter: 'x' });
    const choices = listAdapterChoices(packOf(pack), ws);
    const labels = choices.map((c) => c.label);
    assert.equal(new Set(labels).size, labels.length, `labels repeat: ${labels.join(' | ')}`);
    assert.ok(labels.includes('run 2026-11-29-100000 · x · step 40 (20261129-100000-x)'), labels.join(' | '));
    assert.equal(findAdapterChoice(choices, 'baseline')?.pack, pack);
    assert.equal(findAdapterChoice(choices, labels[2])?.run?.id, '20261129-100000-y');
    // a run adapter is reached by its label only: "x" names no adapter of the pack
    assert.equal(findAdapterChoice(choices, 'x'), undefined);
    assert.equal(findAdapterChoice(choices, undefined), undefined);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('BAD INPUT - damaged run folders (broken JSON, summary not done, no runs folder) are skipped, never thrown', () => {
  const { ws, pack } = workspace();
  try {
    assert.equal(listAdapterChoices(packOf(pack), ws).length, 2);
    const a = run(ws, '20261129-100000-a', { pack, outputName: 'a' }, { steps: 40, adapter: 'a' });
    const b = run(ws, '20261129-110000-b', { pack, outputName: 'b' }, { steps: 40, adapter: 'b' });
    const c = run(ws, '20261129-120000-c', { pack, outputName: 'c' }, { steps: 40, adapter: 'c' });
    writeFileSync(path.join(a, 'summary.json'), '{"status": "done", ');
    writeFileSync(path.join(b, 'config.json'), '[]');
    writeFileSync(path.join(c, 'summary.json'), JSON.stringify({ status: 'running', pack: path.join(c, 'pack'), adapter: 'c' }));
    assert.deepEqual(listAdapterChoices(packOf(pack), ws).map((x) => x.label), ['sea', 'baseline']);
    // an active pack that does not exist: nothing to match runs against
    assert.deepEqual(listAdapterChoices(packOf(path.join(ws, 'missing')), ws).map((x) => x.label), ['sea', 'baseline']);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('adapters of two different packs are compared as the engine compares two of one pack', async () => {
  const { Engine } = await import('../../src/engine/engine');
  const { compareTokenMaps } = await import('../../src/extension/training/compareChoices');
  const engine = new Engine();
  const pack = path.join(root, 'media', 'demo-pack');
  const image = path.join(root, 'media', 'samples', readdirSync(path.join(root, 'media', 'samples')).filter((f) => f.endsWith('.png')).sort()[0]);
  try {
    const ref = await engine.compare({ image, pack, device: 'cpu', adapterA: 'sea', adapterB: 'baseline' });
    const a = await engine.explain({ image, pack, device: 'cpu', adapter: 'sea' });
    const b = await engine.explain({ image, pack, device: 'cpu', adapter: 'baseline' });
    const got = compareTokenMaps(a, b);
    assert.deepEqual(got.changed, ref.changed);
    assert.equal(got.agreement, ref.agreement);
    assert.ok(ref.changed.some(Boolean) && ref.changed.some((c) => !c), 'the two adapters agree on some tokens and not on others');
  } finally {
    await engine.dispose();
  }
});
