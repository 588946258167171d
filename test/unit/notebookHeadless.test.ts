// Headless notebook runs with the real engine (in process): on the fixture pack built by
// test/fixtures/make_packs.py, and on the starter notebook with the demo pack. Each skips, saying what is
// missing, when its pack is not there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Engine } from '../../src/engine/engine';
import { inProcessEngine } from '../../src/notebook/inProcessEngine';
import { runNotebookFile } from '../../src/notebook/runNotebookFile';
import { COMPARE_MIME, ERROR_MIME, LABELS_MIME, METRICS_MIME, NEIGHBORS_MIME, WORDS_NEAR_MIME } from '../../src/shared/notebookFormat';
import { TOKENMAP_MIME } from '../../src/shared/tokenMap';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const fixturePack = join(root, '.test-artifacts', 'fixture-packs', 'clip');
const demoPack = join(root, 'media', 'demo-pack');
const starter = join(root, 'media', 'notebooks', 'starter.sealens');
let engine: Engine;
let dir: string;

before(async () => {
  engine = new Engine();
  dir = await mkdtemp(join(tmpdir(), 'sealens-headless-'));
});
after(async () => {
  await engine.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('headless run on the fixture pack: every command gives its output, a bad line gives a positioned error', {
  skip: existsSync(join(fixturePack, 'manifest.json')) ? false : `fixture pack missing (${fixturePack}); build it with python3 test/fixtures/make_packs.py .test-artifacts/fixture-packs …`,
}, async () => {
  await mkdir(join(dir, 'img'));
  await sharp({ create: { width: 96, height: 80, channels: 3, background: 'red' } }).png().toFile(join(dir, 'img', 'red.png'));
  await sharp({ create: { width: 64, height: 64, channels: 3, background: 'blue' } }).jpeg().toFile(join(dir, 'img', 'blue.jpg'));
  const nb = join(dir, 'fixture.sealens');
  await writeFile(nb, JSON.stringify({ version: 1, cells: [
    { kind: 'markdown', source: '# Fixture', outputs: [] },
    { kind: 'code', source: 'explain img/red.png topk=3\ncompare img/blue.jpg sea base', outputs: [] },
    { kind: 'code', source: 'labels img/red.png seed=1\nwords img/red.png near "red"', outputs: [] },
    { kind: 'code', source: 'neighbors "sky" in img limit=4\nmetrics img adapter=base', outputs: [] },
    { kind: 'code', source: 'explain img/red.png adapter=nope', outputs: [] },
  ] }));
  const summary = await runNotebookFile(nb, { engine: inProcessEngine(engine), pack: fixturePack, html: join(dir, 'report.html') });
  assert.deepEqual(summary.cells.map((c) => c.status), ['ok', 'ok', 'ok', 'error']);
  const out = JSON.parse(await readFile(nb, 'utf8'));
  const mimes = out.cells.map((c: any) => c.outputs.map((o: any) => o.mime));
  assert.deepEqual(mimes, [[], [TOKENMAP_MIME, COMPARE_MIME], [LABELS_MIME, WORDS_NEAR_MIME], [NEIGHBORS_MIME, METRICS_MIME], [ERROR_MIME]]);
  const tm = out.cells[1].outputs[0].data;
  assert.equal(tm.image, 'img/red.png');
  assert.equal(tm.patches.length, tm.grid.rows * tm.grid.cols);
  assert.ok(tm.patches.every((p: any) => p.words.length === 3));
  assert.match(tm.imageDataUri, /^data:image\/png;base64,/);
  const cmp = out.cells[1].outputs[1].data.result;
  assert.deepEqual([cmp.a.adapter, cmp.b.adapter], ['sea', 'base']);
  const labels = out.cells[2].outputs[0].data;
  assert.ok(labels.result.patches.every((p: any) => p.candidates.length <= 10));
  assert.equal(out.cells[2].outputs[1].data.map.values.length, tm.grid.rows * tm.grid.cols);
  const hits = out.cells[3].outputs[0].data.hits;
  assert.equal(hits.length, 4);
  assert.ok(hits.every((h: any) => h.image.startsWith('img/')), 'neighbor images are relative to the notebook');
  assert.equal(out.cells[3].outputs[1].data.result.images, 2);
  assert.match(out.cells[4].outputs[0].data.message, /^line 1, column 29: pack "clip" has no adapter "nope"; it has sea, base\./);
  const html = await readFile(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<h1>Fixture<\/h1>/);
  assert.equal((html.match(/data-sealens-output/g) ?? []).length, 6);
});

test('headless run of the starter notebook on the demo pack', {
  skip: existsSync(join(demoPack, 'manifest.json')) ? false : `demo pack missing (${demoPack}/manifest.json); build it with python3 -m sealens.build_pack (see python/)`,
}, async () => {
  // Run a copy far from the install (a temporary folder): its demo: paths must still find the samples.
  const away = await mkdtemp(join(tmpdir(), 'sealens-starter-'));
  const copy = join(away, 'starter.sealens');
  await copyFile(starter, copy);
  const notices: string[] = [];
  try {
    const summary = await runNotebookFile(copy, { engine: inProcessEngine(engine), pack: demoPack, demoDir: join(root, 'media'), onNotice: (n) => notices.push(n) });
    assert.ok(summary.cells.length >= 4);
    assert.deepEqual(summary.cells.filter((c) => c.status !== 'ok'), []);
    const text = await readFile(copy, 'utf8');
    assert.ok(!text.includes(root), 'the executed notebook holds no path of the install folder');
    const out = JSON.parse(text);
    const mimes = out.cells.flatMap((c: any) => c.outputs.map((o: any) => o.mime));
    for (const m of [TOKENMAP_MIME, LABELS_MIME, COMPARE_MIME, METRICS_MIME]) assert.ok(mimes.includes(m), `starter produces ${m}`);
    const explained = out.cells.flatMap((c: any) => c.outputs).find((o: any) => o.mime === TOKENMAP_MIME).data;
    assert.match(explained.image, /^demo:samples\/test\d{4}-.*\.png$/, 'outputs name the image as the cell wrote it');
    assert.ok(!(explained.notes ?? []).some((n: string) => /^running on /.test(n)), 'no device note stored in an output');
    // The starter asks for two adapters' metrics on consecutive lines: one output, one column each.
    const metricsOutputs = out.cells.flatMap((c: any) => c.outputs).filter((o: any) => o.mime === METRICS_MIME);
    assert.equal(metricsOutputs.length, 1);
    const { result: metrics, results } = metricsOutputs[0].data;
    assert.deepEqual(results.map((r: any) => r.adapter), ['baseline', 'sea']);
    assert.deepEqual(results[0], metrics);
    assert.ok(metrics.imagesWithTruth > 0, 'the samples carry truth files');
    assert.ok(metrics.patchWordAccuracy !== null && metrics.patchWordAccuracy >= 0 && metrics.patchWordAccuracy <= 1);
    // The shipped pack's SEA adapter names its patches better than the baseline (README: 84.7 % vs 7.6 %).
    assert.ok(results[1].patchWordAccuracy > results[0].patchWordAccuracy, JSON.stringify(results.map((r: any) => r.patchWordAccuracy)));
    assert.ok(notices.every((n) => /^running on /.test(n)), notices.join('\n'));
  } finally {
    await rm(away, { recursive: true, force: true });
  }
});
