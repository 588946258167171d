// Metrics of several adapters asked for on consecutive lines of a cell are one output with a column per
// adapter (in the table, the text and the HTML fallbacks); the device-fallback note leaves the outputs and
// is handed to onNotice. The engine is a stand-in (the engine's metrics have their own tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCell, type NotebookEngine } from '../../src/notebook/runCell';
import { fallbackOutputs } from '../../src/notebook/outputFallbacks';
import { metricsRows, metricsTable } from '../../src/shared/metricsRows';
import { METRICS_MIME, type MetricsPayload } from '../../src/shared/notebookFormat';
import { TOKENMAP_MIME, type TokenMap } from '../../src/shared/tokenMap';
import type { MetricsResult } from '../../src/shared/engineProtocol';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

const metricsOf = (adapter: string, acc: number, pack = 'p'): MetricsResult => ({
  pack, adapter, images: 4, imagesWithTruth: 4, patchWordAccuracy: acc, top5Accuracy: acc + 0.1, labelAgreement: null, gapD: 1.5, tacs: null,
});

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sealens-metrics-'));
  await mkdir(join(dir, 'imgs'));
  await mkdir(join(dir, 'more'));
  await writeFile(join(dir, 'imgs', 'a.png'), new Uint8Array(PNG));
  await writeFile(join(dir, 'pack.json'), '{}');
  return dir;
}

function engine(notes: string[] = []): NotebookEngine {
  const acc: Record<string, number> = { baseline: 0.076, sea: 0.847, other: 0.5 };
  return {
    async request(method, params: any) {
      if (method === 'engine/packInfo') return { name: 'p', adapters: [{ name: 'baseline' }, { name: 'sea' }, { name: 'other' }], defaultAdapter: 'sea' } as any;
      if (method === 'engine/metrics') return metricsOf(params.adapter ?? 'sea', acc[params.adapter ?? 'sea']) as any;
      if (method === 'engine/explain') {
        return { image: params.image, pack: 'p', adapter: 'sea', device: 'cpu', grid: { rows: 1, cols: 1 }, timings: {}, patches: [{ row: 0, col: 0, words: [{ word: 'cat', score: 1 }] }], notes: [...notes] } as TokenMap as any;
      }
      throw new Error(`stand-in engine: ${method} not scripted`);
    },
  };
}

test('two adapters on one folder, consecutive lines: one metrics output, a column per adapter', async () => {
  const dir = await folder();
  const r = await runCell('metrics imgs adapter=baseline\nmetrics imgs adapter=sea', { engine: engine(), baseDir: dir, pack: '/p' });
  assert.equal(r.status, 'ok');
  assert.equal(r.outputs.length, 1);
  const p = r.outputs[0].data as MetricsPayload;
  assert.deepEqual(p.results?.map((x) => x.adapter), ['baseline', 'sea']);
  assert.equal(p.result, p.results![0], 'result stays the first adapter for one-result readers');
  const t = metricsTable(p);
  assert.deepEqual(t.columns, ['baseline', 'sea']);
  assert.deepEqual(t.rows.find((row) => row[0] === 'patch-word accuracy (top-1)'), ['patch-word accuracy (top-1)', '7.6 %', '84.7 %']);
  // Two-column readers (metricsRows) get every adapter's rows, named.
  const named = metricsRows(p);
  assert.equal(named.length, 2 * t.rows.length);
  assert.deepEqual(named.filter(([k]) => k.endsWith('patch-word accuracy (top-1)')), [['baseline: patch-word accuracy (top-1)', '7.6 %'], ['sea: patch-word accuracy (top-1)', '84.7 %']]);
  const [html, text] = fallbackOutputs(r.outputs[0]);
  assert.match(String(html.data), /<tr><th><\/th><th>baseline<\/th><th>sea<\/th><\/tr>/);
  assert.match(String(html.data), /<tr><th>patch-word accuracy \(top-1\)<\/th><td>7\.6 %<\/td><td>84\.7 %<\/td><\/tr>/);
  assert.match(String(text.data), /adapters baseline, sea/);
  assert.match(String(text.data), /patch-word accuracy \(top-1\)\s+7\.6 % \| 84\.7 %/);
});

test('different folders, or another command between, stay separate outputs', async () => {
  const dir = await folder();
  const r = await runCell('metrics imgs adapter=baseline\nmetrics more adapter=sea\nexplain imgs/a.png\nmetrics more adapter=other', { engine: engine(), baseDir: dir, pack: '/p' });
  assert.equal(r.status, 'ok');
  assert.deepEqual(r.outputs.map((o) => o.mime), [METRICS_MIME, METRICS_MIME, TOKENMAP_MIME, METRICS_MIME]);
  assert.deepEqual(r.outputs.filter((o) => o.mime === METRICS_MIME).map((o) => (o.data as MetricsPayload).results?.map((x) => x.adapter)), [['baseline'], ['sea'], ['other']]);
});

test('one result: the table has one column, and a payload without results (older files) reads the same', () => {
  const p: MetricsPayload = { folder: 'imgs', result: metricsOf('sea', 0.5) };
  const t = metricsTable(p);
  assert.deepEqual(t.columns, ['sea']);
  assert.deepEqual(t.rows.map((r) => [r[0], r[1]]), metricsRows(p));
  const cross = metricsTable({ folder: 'x', result: metricsOf('sea', 0.5, 'a'), results: [metricsOf('sea', 0.5, 'a'), metricsOf('sea', 0.6, 'b')] });
  assert.deepEqual(cross.columns, ['a / sea', 'b / sea'], 'adapters of different packs are told apart');
});

test('the device-fallback note leaves every output and is handed to onNotice', async () => {
  const dir = await folder();
  const notices: string[] = [];
  const note = 'running on cpu: WebGPU found no adapter';
  const r = await runCell('explain imgs/a.png\nexplain imgs/a.png', { engine: engine([note, 'a.png: alpha → white']), baseDir: dir, pack: '/p', onNotice: (n) => notices.push(n) });
  assert.equal(r.status, 'ok');
  for (const o of r.outputs) assert.deepEqual((o.data as TokenMap).notes, ['a.png: alpha → white'], 'image notes stay, the device note goes');
  assert.deepEqual(notices, [note, note], 'the runner reports each; showing it once is the caller\'s (status bar, CLI stderr)');
  const only = await runCell('explain imgs/a.png', { engine: engine([note]), baseDir: dir, pack: '/p' });
  assert.equal((only.outputs[0].data as TokenMap).notes, undefined, 'no empty notes list is stored');
});
