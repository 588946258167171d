// The real run view page (webview/training/main.ts) in Chromium: a resumed two-part run drawn as one chart
// per scalar across the page's width, epoch ticks, one resume line and the validation marks on every chart,
// one crosshair across all charts with the same step in each readout, the smoothing slider kept in the
// webview state (and read back on reload), and the settings card. Skips, saying why, without Chromium.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { browserMissing, openPage, type HarnessPage } from '../fixtures/overlayPage';
import type { ProgressEvent } from '../../src/shared/trainingProtocol';

const missing = browserMissing();
const ENTRY = fileURLToPath(new URL('../../webview/training/main.ts', import.meta.url));
// VS Code's webview API, recording what the page posts and stores; the stored state survives a reload
const PREAMBLE = `window.posted = []; window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.posted.push(m),
  getState: () => JSON.parse(sessionStorage.getItem('state') || 'null'),
  setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)) });`;

const start = (resumedFrom: number | null): ProgressEvent => ({
  event: 'start', totalSteps: 20, stepsPerEpoch: 5, epochs: 4, images: 44, trainImages: 40, validationImages: 4, skippedImages: 0,
  resumedFrom, device: 'cpu', worldSize: 1, lossG: true, lossA: true, lam: 0.5, batchSize: 8,
});
const step = (s: number): ProgressEvent => ({
  event: 'step', step: s, totalSteps: 20, epoch: Math.floor((s - 1) / 5) + 1, loss: 3 / s + (s % 3) * 0.1, lossG: 1 + 0.01 * s, lossA: 2 / s,
  tau: 0.07 - 0.001 * s, logitScale: 1 / (0.07 - 0.001 * s), lr: 1e-3, pairs: 17, pairsPerSecond: 30, imagesPerSecond: 12.5, elapsedSeconds: s,
});
const validation = (s: number): ProgressEvent => ({ event: 'validation', step: s, agreement: 0.2 + s / 100 });
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
// part one stops at step 12 (checkpoint at 10); part two resumes from 10 and trains 11 and 12 again
const EVENTS: ProgressEvent[] = [start(null), ...range(1, 12).map(step), validation(5), validation(10),
  { event: 'cancelled', step: 12, totalSteps: 20, checkpoint: 'checkpoints/10' },
  start(10), ...range(11, 20).map(step), validation(15), validation(20)];
const CONFIG = { formatVersion: 1, pack: '/packs/demo-pack', dataset: 'samples', outputName: 'mine', lambda: 0.5, epochs: 4, device: 'auto' };

describe('run view in Chromium', { skip: missing }, () => {
  let h: HarnessPage;
  const post = () => h.page.evaluate(([events, config]) => window.postMessage({ kind: 'state', state: { runId: 'r1', status: 'finished', config, events } }, '*'), [EVENTS, CONFIG] as const);
  before(async () => {
    h = await openPage(ENTRY, '<div id="sealens-training"></div>', { width: 1200, height: 900 }, PREAMBLE);
    await post();
    await h.page.locator('.chart').first().waitFor();
  });
  after(async () => {
    await h?.close();
  });

  it('says ready, then draws one full-width chart per scalar with units, epoch ticks, the resume and validation marks', async () => {
    assert.deepEqual(await h.page.evaluate(() => (window as any).posted[0]), { kind: 'ready' });
    const ids = await h.page.locator('.chart').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.series));
    assert.deepEqual(ids, ['loss', 'lossG', 'lossA', 'tau', 'logitScale', 'lr', 'agreement']);
    const width = await h.page.locator('.chart[data-series="loss"] svg').evaluate((e) => e.getBoundingClientRect().width);
    assert.ok(width > 1100, `the chart is ${width}px wide in a 1200px page`);
    assert.equal(await h.page.locator('.chart[data-series="loss"] .axis-label').first().textContent(), 'step');
    assert.equal(await h.page.locator('.chart[data-series="loss"] .axis-label').nth(1).textContent(), 'loss (nats)');
    assert.deepEqual(await h.page.locator('.chart[data-series="loss"] .epoch-label').allTextContents(), ['epoch 1', 'epoch 2', 'epoch 3', 'epoch 4']);
    assert.equal(await h.page.locator('.resume-line').count(), 7, 'one resume line on each chart');
    assert.equal(await h.page.locator('.chart[data-series="lr"] .resume-label').textContent(), 'resumed @ 10');
    assert.equal(await h.page.locator('.chart[data-series="tau"] .validation-mark').count(), 4);
    assert.match((await h.page.locator('h2').textContent()) ?? '', /r1 — finished$/);
    assert.match((await h.page.locator('p.status').textContent()) ?? '', /step 20\/20 \(100 %\)/);
    assert.equal(await h.page.locator('button', { hasText: 'Compare before/after' }).count(), 1);
  });

  it('one crosshair across every chart: the same step in each readout, the raw and smoothed value', async () => {
    const box = (await h.page.locator('.chart[data-series="loss"] svg').boundingBox())!;
    // the step axis runs 0..20 over [66, W − 14] of the viewBox; aim at step 7
    const px = box.x + 66 + (7 / 20) * (box.width - 80);
    await h.page.mouse.move(px, box.y + box.height / 2);
    const readouts = await h.page.locator('.chart-readout').allTextContents();
    for (const r of readouts.slice(0, 6)) assert.match(r, /^step 7 · epoch 2 · /, r);
    assert.match(readouts[6], /^step 5 · epoch 1 · 25\.0 %$/, 'validation agreement: the nearest scored step');
    assert.equal(await h.page.locator('.crosshair[visibility="visible"]').count(), 7);
    // the keyboard: arrows on a focused chart move the same crosshair, Escape hides it
    await h.page.mouse.move(1, 1);
    await h.page.locator('.chart[data-series="lr"] svg').focus();
    await h.page.keyboard.press('Home');
    await h.page.keyboard.press('ArrowRight');
    assert.match((await h.page.locator('.chart[data-series="loss"] .chart-readout').textContent()) ?? '', /^step 2 · epoch 1 /);
    await h.page.keyboard.press('End');
    await h.page.keyboard.press('ArrowLeft');
    assert.match((await h.page.locator('.chart[data-series="tau"] .chart-readout').textContent()) ?? '', /^step 19 · epoch 4 /);
    await h.page.keyboard.press('Escape');
    assert.match((await h.page.locator('.chart[data-series="loss"] .chart-readout').textContent()) ?? '', /^last: step 20 /);
  });

  it('smoothing: the raw line faint behind the smoothed one, none at 0, the weight kept in the webview state', async () => {
    assert.equal(await h.page.locator('#smoothing').inputValue(), '0.6', 'the default, as TensorBoard');
    assert.equal(await h.page.locator('.chart[data-series="loss"] path.raw').count(), 1);
    await h.page.locator('#smoothing').fill('0');
    assert.equal(await h.page.locator('.chart[data-series="loss"] path.raw').count(), 0);
    await h.page.locator('#smoothing').fill('0.95');
    assert.deepEqual(await h.page.evaluate(() => JSON.parse(sessionStorage.getItem('state')!)), { smoothing: 0.95 });
    const smooth = await h.page.locator('.chart[data-series="loss"] path.smooth').getAttribute('d');
    const raw = await h.page.locator('.chart[data-series="loss"] path.raw').getAttribute('d');
    assert.notEqual(smooth, raw);
    await h.page.reload();
    await post();
    await h.page.locator('.chart').first().waitFor();
    assert.equal(await h.page.locator('#smoothing').inputValue(), '0.95', 'read back from the state after a reload');
  });

  it('the settings card: config values, defaults marked, the device the trainer used', async () => {
    const items = await h.page.locator('#settings dl > div').evaluateAll((els) => els.map((e) => [e.querySelector('dt')!.textContent, e.querySelector('dd')!.textContent, e.querySelector('dd')!.className]));
    const byName = Object.fromEntries(items.map(([n, v, c]) => [n, [v, c]]));
    assert.deepEqual(byName.pack, ['demo-pack', '']);
    assert.deepEqual(byName['λ'], ['0.5', '']);
    assert.deepEqual(byName['batch size'], ['8', 'defaulted']);
    assert.deepEqual(byName.device, ['auto → cpu', '']);
    assert.deepEqual(byName.steps, ['20 (5 per epoch)', '']);
  });
});
