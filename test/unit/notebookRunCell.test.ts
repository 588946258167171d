// The cell runner with a stand-in engine (the engine has its own tests): paths resolve against the
// notebook folder, bad input becomes an error output with the position, cancellation stops the cell, and
// outputs carry the image pixels and the path as written. Also the HTML report and text fallbacks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCell, type NotebookEngine } from '../../src/notebook/runCell';
import { runNotebookFile } from '../../src/notebook/runNotebookFile';
import { fallbackOutputs } from '../../src/notebook/outputFallbacks';
import { ERROR_MIME, METRICS_MIME, type ErrorPayload } from '../../src/shared/notebookFormat';
import { TOKENMAP_MIME, gridPatches, type TokenMap } from '../../src/shared/tokenMap';
import type { EngineMethod, MetricsResult } from '../../src/shared/engineProtocol';

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealens-nb-'));
  await mkdir(join(dir, 'img'));
  await writeFile(join(dir, 'img', 'cat.png'), new Uint8Array(PNG));
  await mkdir(join(dir, 'pack'));
  await writeFile(join(dir, 'pack', 'manifest.json'), '{}');
});
after(() => rm(dir, { recursive: true, force: true }));

function standIn(calls: { method: EngineMethod; params: any }[] = []): NotebookEngine {
  const tm = (image: string, adapter = 'sea'): TokenMap => ({
    version: 2, image, pack: 'p', adapter, device: 'cpu', grid: { rows: 1, cols: 2 }, timings: { total: 5 }, imageSize: { width: 2, height: 1 },
    views: [{ id: 'image', label: 'image', rect: { x: 0, y: 0, w: 2, h: 1 }, grid: { rows: 1, cols: 2 } }],
    patches: gridPatches({ rows: 1, cols: 2 }, { x: 0, y: 0, w: 2, h: 1 }, [[{ word: 'cat', score: 0.9 }], [{ word: 'grass', score: 0.5 }]]),
  });
  const metrics: MetricsResult = { pack: 'p', adapter: 'sea', images: 1, imagesWithTruth: 1, patchWordAccuracy: 0.5, top5Accuracy: 1, labelAgreement: null, gapD: 0.25, tacs: null };
  return {
    async request(method, params: any) {
      calls.push({ method, params });
      switch (method) {
        case 'engine/packInfo': return { name: 'p', dir: params.pack, adapters: [{ name: 'sea' }, { name: 'base' }], defaultAdapter: 'sea', grid: { rows: 1, cols: 2 }, hasLabeling: false, hasDecoder: false } as any;
        case 'engine/explain': return tm(params.image, params.adapter) as any;
        case 'engine/metrics': return metrics as any;
        default: throw new Error(`stand-in engine: ${method} not scripted`);
      }
    },
  };
}

const message = (o: { data: unknown }) => (o.data as ErrorPayload).message;

test('explain resolves the image against the notebook folder and keeps the path as written', async () => {
  const calls: any[] = [];
  const r = await runCell('# comment\nexplain img/cat.png topk=3', { engine: standIn(calls), baseDir: dir, pack: '/packs/p' });
  assert.equal(r.status, 'ok');
  assert.deepEqual(calls[0], { method: 'engine/explain', params: { image: join(dir, 'img', 'cat.png'), pack: '/packs/p', adapter: undefined, topK: 3 } });
  assert.equal(r.outputs[0].mime, TOKENMAP_MIME);
  const data = r.outputs[0].data as TokenMap & { imageDataUri: string };
  assert.equal(data.image, 'img/cat.png');
  assert.equal(data.imageDataUri, `data:image/png;base64,${PNG.toString('base64')}`);
});

test('EXPECTED FAILURE - a missing image is an error output at its line and column; later lines do not run', async () => {
  const calls: any[] = [];
  const r = await runCell('explain img/cat.png\n  explain img/dog.png\nmetrics img', { engine: standIn(calls), baseDir: dir, pack: '/p' });
  assert.equal(r.status, 'error');
  assert.equal(r.outputs.length, 2);
  assert.equal(r.outputs[1].mime, ERROR_MIME);
  assert.match(message(r.outputs[1]), /^line 2, column 11: image not found: img\/dog\.png \(looked for .*dog\.png\)/);
  assert.equal(calls.filter((c) => c.method === 'engine/metrics').length, 0);
});

test('EXPECTED FAILURE - syntax errors: nothing runs, every error listed with its position', async () => {
  const calls: any[] = [];
  const r = await runCell('explian img/cat.png\nexplain img/cat.png topk=x', { engine: standIn(calls), baseDir: dir, pack: '/p' });
  assert.equal(r.status, 'error');
  assert.equal(calls.length, 0);
  assert.match(message(r.outputs[0]), /line 1, column 1: Unknown command "explian"\. Did you mean "explain"\? Commands: explain, [^\n]*\nline 2, column 26: explain: topk must be/);
});

test('EXPECTED FAILURE - an adapter the pack lacks is named with the ones it has, at the option value', async () => {
  const r = await runCell('explain img/cat.png adapter=sae', { engine: standIn(), baseDir: dir, pack: '/p' });
  assert.match(message(r.outputs[0]), /^line 1, column 29: pack "p" has no adapter "sae"; it has sea, base\./);
});

test('EXPECTED FAILURE - a folder where an image is needed, a file where a folder is needed, a pack without manifest', async () => {
  const e = standIn();
  assert.match(message((await runCell('explain img', { engine: e, baseDir: dir, pack: '/p' })).outputs[0]), /img is a folder/);
  assert.match(message((await runCell('metrics img/cat.png', { engine: e, baseDir: dir, pack: '/p' })).outputs[0]), /img\/cat\.png is a file/);
  assert.match(message((await runCell('pack img\nexplain img/cat.png', { engine: e, baseDir: dir, pack: '/p' })).outputs[0]), /img has no manifest\.json/);
});

test('pack <dir> switches the pack for the following lines of the cell only', async () => {
  const calls: any[] = [];
  const ctx = { engine: standIn(calls), baseDir: dir, pack: '/default' };
  await runCell('explain img/cat.png\npack pack\nexplain img/cat.png', ctx);
  await runCell('explain img/cat.png', ctx);
  assert.deepEqual(calls.map((c) => c.params.pack), ['/default', join(dir, 'pack'), '/default']);
});

test('EXPECTED FAILURE - an engine error becomes an error output naming the command and its line', async () => {
  const engine: NotebookEngine = { request: async () => { throw new Error('encoder: input must be 3×224×224, got 3×64×64'); } };
  const r = await runCell('\nexplain img/cat.png', { engine, baseDir: dir, pack: '/p' });
  assert.equal((r.outputs[0].data as ErrorPayload).name, 'SEA Lens: explain failed');
  assert.match(message(r.outputs[0]), /^line 2, column 1: encoder: input must be 3×224×224, got 3×64×64$/);
});

test('cancellation: an aborted run stops and reports cancelled, not an error', async () => {
  const abort = new AbortController();
  const engine: NotebookEngine = {
    // Like any AbortSignal-aware API: an already aborted signal rejects at once (on a busy machine the
    // abort can come before the request is made).
    request: (_m, _p, signal) => new Promise((_res, rej) => {
      if (signal!.aborted) rej(new Error('cancelled'));
      else signal!.addEventListener('abort', () => rej(new Error('cancelled')));
    }),
  };
  const pending = runCell('explain img/cat.png\nexplain img/cat.png', { engine, baseDir: dir, pack: '/p', signal: abort.signal });
  setTimeout(() => abort.abort(), 10);
  const r = await pending;
  assert.equal(r.status, 'cancelled');
  assert.equal(r.outputs.length, 0);
});

test('headless file run: outputs written to --out, input untouched, HTML report self-contained', async () => {
  const src = join(dir, 'nb.sealens');
  const original = JSON.stringify({ version: 1, cells: [
    { kind: 'markdown', source: '# Demo <script>', outputs: [] },
    { kind: 'code', source: 'explain img/cat.png', outputs: [] },
    { kind: 'code', source: 'explain nope.png', outputs: [] },
    { kind: 'code', source: 'metrics img', outputs: [] },
  ], futureKey: 1 }, null, 2);
  await writeFile(src, original);
  const summary = await runNotebookFile(src, { engine: standIn(), pack: '/p', out: join(dir, 'out.sealens'), html: join(dir, 'out.html'), rendererScript: 'export const activate = () => ({ renderOutputItem() {} });' });
  assert.deepEqual(summary.cells.map((c) => c.status), ['ok', 'error', 'ok']);
  assert.equal(await readFile(src, 'utf8'), original);
  const out = JSON.parse(await readFile(join(dir, 'out.sealens'), 'utf8'));
  assert.equal(out.futureKey, 1);
  assert.equal(out.cells[1].outputs[0].mime, TOKENMAP_MIME);
  assert.equal(out.cells[2].outputs[0].mime, ERROR_MIME);
  assert.equal(out.cells[3].outputs[0].mime, METRICS_MIME);
  const html = await readFile(join(dir, 'out.html'), 'utf8');
  assert.match(html, /default-src 'none'/);
  assert.match(html, /<h1>Demo &#60;script&#62;<\/h1>/);
  assert.match(html, /image not found: nope\.png/);
  assert.match(html, /patch-word accuracy \(top-1\)<\/th><td>50\.0 %/);
  assert.match(html, /data:text\/javascript;base64,/);
});

test('EXPECTED FAILURE - a broken notebook file is refused before running, and not overwritten', async () => {
  const src = join(dir, 'broken.sealens');
  await writeFile(src, '{"version": 1, "cells": [}');
  await assert.rejects(runNotebookFile(src, { engine: standIn(), pack: '/p' }), { name: 'NotebookFormatError', message: /broken\.sealens is not valid JSON/ });
  assert.equal(await readFile(src, 'utf8'), '{"version": 1, "cells": [}');
});

test('text fallbacks: the top word grid as text/plain and an escaped table as text/html', () => {
  const tm = { image: 'a.png', pack: 'p', adapter: 'sea', device: 'cpu', grid: { rows: 1, cols: 2 }, timings: {}, patches: [
    { row: 0, col: 0, words: [{ word: '<b>', score: 1 }] }, { row: 0, col: 1, words: [{ word: 'sky', score: 1 }] }] };
  const [html, text] = fallbackOutputs({ mime: TOKENMAP_MIME, data: tm });
  assert.equal(text.mime, 'text/plain');
  assert.match(String(text.data), /1×2 visual tokens, top word per patch:\n<b> sky$/);
  assert.match(String(html.data), /<td>&#60;b&#62;<\/td><td>sky<\/td>/);
  assert.deepEqual(fallbackOutputs({ mime: 'application/x-unknown', data: 1 }), []);
});
