// The run view's pure logic (webview/training): TensorBoard's debiased EMA smoothing, epoch ticks on the
// step axis, the crosshair's nearest-step lookup, resume and validation markers, the scalars the charts
// draw (last value per step after a resume) and the settings card.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampSmoothing, emaSmooth } from '../../webview/training/emaSmooth';
import { epochTicks, epochTicksFromSteps } from '../../webview/training/epochTicks';
import { nearestIndex } from '../../webview/training/nearestStep';
import { resumeMarkers, validationMarkers } from '../../webview/training/runMarkers';
import { formatScalar, lastStepEvents, scalarSeries } from '../../webview/training/scalarSeries';
import { runSettings } from '../../webview/training/runSettings';
import type { ProgressEvent, RunConfig } from '../../src/shared/trainingProtocol';

const step = (s: number, loss: number, epoch = 1): ProgressEvent => ({
  event: 'step', step: s, totalSteps: 10, epoch, loss, lossG: loss / 2, lossA: loss / 4, tau: 0.07, logitScale: 14.2857, lr: 1e-3 * s,
  pairs: 17, pairsPerSecond: 30, imagesPerSecond: 12.5, elapsedSeconds: s,
});
const start = (resumedFrom: number | null): ProgressEvent => ({
  event: 'start', totalSteps: 10, stepsPerEpoch: 5, epochs: 2, images: 40, trainImages: 36, validationImages: 4, skippedImages: 0,
  resumedFrom, device: 'cpu', worldSize: 1, lossG: true, lossA: true, lam: 1, batchSize: 8,
});

test('EMA smoothing: weight 0 is the raw series, the first point is unbiased, the average follows TensorBoard', () => {
  assert.deepEqual(emaSmooth([3, 1, 4], 0), [3, 1, 4]);
  const s = emaSmooth([10, 0], 0.5);
  assert.equal(s[0], 10, 'debiased: the first smoothed point is the first value, not 5');
  // last = 0.5·(0.5·10) + 0 = 2.5 over 1 − 0.25 = 0.75 → 3.333…
  assert.ok(Math.abs(s[1] - 10 / 3) < 1e-12, String(s[1]));
  const flat = emaSmooth([2, 2, 2, 2], 0.99);
  for (const v of flat) assert.ok(Math.abs(v - 2) < 1e-9, 'a constant series stays constant at any weight');
});

test('EMA smoothing: a non-finite value is passed through and leaves the average alone; weights are clamped', () => {
  const s = emaSmooth([1, NaN, 1], 0.9);
  assert.ok(Number.isNaN(s[1]));
  assert.ok(Math.abs(s[2] - 1) < 1e-12);
  assert.equal(clampSmoothing(2), 0.99);
  assert.equal(clampSmoothing(-1), 0);
  assert.equal(clampSmoothing('0.5'), 0.6, 'a stored value that is not a number falls back to the default');
  assert.equal(clampSmoothing(undefined, 0.3), 0.3);
  assert.deepEqual(emaSmooth([5, 7], 5), emaSmooth([5, 7], 0.99));
});

test('epoch ticks: epoch k starts after step (k − 1)·stepsPerEpoch, thinned to at most maxTicks', () => {
  assert.deepEqual(epochTicks(5, 3), [{ step: 0, epoch: 1 }, { step: 5, epoch: 2 }, { step: 10, epoch: 3 }]);
  assert.deepEqual(epochTicks(0, 3), []);
  const many = epochTicks(2, 10_000, 12);
  assert.ok(many.length <= 12 && many.length >= 10, `${many.length} ticks`);
  assert.equal(many[0].epoch, 1);
  const every = many[1].epoch - many[0].epoch;
  assert.ok(many.every((t, i) => t.epoch === 1 + i * every && t.step === (t.epoch - 1) * 2));
});

test('epoch ticks from step events when there is no start event', () => {
  const steps = [1, 2, 3, 4, 5, 6].map((s) => ({ step: s, epoch: s <= 3 ? 1 : 2 }));
  assert.deepEqual(epochTicksFromSteps(steps), [{ step: 0, epoch: 1 }, { step: 3, epoch: 2 }]);
  assert.deepEqual(epochTicksFromSteps([]), []);
});

test('nearest step: binary search, ties to the earlier point, ends clamp, empty is -1', () => {
  const steps = [1, 2, 4, 8, 16];
  assert.equal(nearestIndex(steps, 4), 2);
  assert.equal(nearestIndex(steps, 5.9), 2);
  assert.equal(nearestIndex(steps, 6), 2, 'a tie goes to the earlier step');
  assert.equal(nearestIndex(steps, 6.1), 3);
  assert.equal(nearestIndex(steps, -100), 0);
  assert.equal(nearestIndex(steps, 1e9), 4);
  assert.equal(nearestIndex([], 3), -1);
  assert.equal(nearestIndex(steps, NaN), -1);
  // agrees with a linear scan on many random cases
  for (let k = 0; k < 200; k++) {
    const xs = [...new Set(Array.from({ length: 1 + (k % 17) }, () => Math.floor(Math.random() * 100)))].sort((a, b) => a - b);
    const q = Math.random() * 120 - 10;
    const best = xs.reduce((bi, v, i) => (Math.abs(v - q) < Math.abs(xs[bi] - q) ? i : bi), 0);
    assert.equal(Math.abs(xs[nearestIndex(xs, q)] - q), Math.abs(xs[best] - q), `${q} in ${xs}`);
  }
});

test('resume markers: from the start event resumedFrom, once, with the steps trained again', () => {
  const events = [start(null), step(1, 3), step(2, 2.5), step(3, 2.4), start(2), step(3, 2.3), step(4, 2.2)];
  assert.deepEqual(resumeMarkers(events), [{ step: 2, redone: 1 }]);
  assert.deepEqual(resumeMarkers([start(null), step(1, 3), step(2, 2)]), [], 'a fresh run has no resume');
});

test('resume markers: a step going back without a start event is a resume too; repeated logs give one marker', () => {
  const events = [step(1, 3), step(2, 2.5), step(3, 2.4), step(4, 2.3), step(3, 2.3), step(4, 2.2)];
  assert.deepEqual(resumeMarkers(events), [{ step: 2, redone: 2 }]);
  assert.deepEqual(resumeMarkers([...events, step(3, 2.1)]), [{ step: 2, redone: 2 }]);
});

test('validation markers: sorted by step, the last score of each step', () => {
  const events: ProgressEvent[] = [{ event: 'validation', step: 10, agreement: 0.5 }, { event: 'validation', step: 5, agreement: null }, { event: 'validation', step: 10, agreement: 0.6 }];
  assert.deepEqual(validationMarkers(events), [{ step: 5, agreement: null }, { step: 10, agreement: 0.6 }]);
});

test('scalar series: one per scalar with units, the last value of each step, agreement only where scored', () => {
  const events: ProgressEvent[] = [start(null), step(1, 3), step(2, 2.5), step(3, 9), start(2), step(3, 2.4),
    { event: 'validation', step: 3, agreement: 0.25 }, { event: 'validation', step: 1, agreement: null }];
  const series = scalarSeries(events);
  assert.deepEqual(series.map((s) => s.id), ['loss', 'lossG', 'lossA', 'tau', 'logitScale', 'lr', 'agreement']);
  const loss = series[0];
  assert.deepEqual(loss.steps, [1, 2, 3]);
  assert.deepEqual(loss.values, [3, 2.5, 2.4], 'the resumed run overwrites step 3');
  assert.match(loss.axis, /nats/);
  const agreement = series[6];
  assert.deepEqual([agreement.steps, agreement.values, agreement.percent], [[3], [0.25], true]);
  assert.deepEqual(scalarSeries([start(null)]), [], 'no chart before the first step');
  assert.deepEqual(lastStepEvents(events).map((e) => e.step), [1, 2, 3]);
});

test('readout formatting: 4 significant digits, exponents for tiny learning rates, percentages', () => {
  assert.equal(formatScalar(2.345678, false), '2.346');
  assert.equal(formatScalar(0.0001, false), '1.000e-4');
  assert.equal(formatScalar(0.253, true), '25.3 %');
  assert.equal(formatScalar(0, false), '0');
});

test('settings card: config values, schema defaults marked, the device the trainer really used', () => {
  const config = { formatVersion: 1, pack: '/home/u/packs/demo-pack', dataset: 'imageFolder', imageFolder: '/data/world', outputName: 'mine', lambda: 0.5, learningRate: 0.002, epochs: 2, device: 'auto' } as RunConfig;
  const rows = Object.fromEntries(runSettings(config, [start(null)]).map((r) => [r.name, r]));
  assert.equal(rows.pack.value, 'demo-pack');
  assert.equal(rows.dataset.value, 'imageFolder (world)');
  assert.equal(rows['λ'].value, '0.5');
  assert.equal(rows['learning rate'].value, '0.002');
  assert.equal(rows['batch size'].defaulted, true);
  assert.equal(rows['batch size'].value, '8');
  assert.equal(rows.seed.defaulted, true);
  assert.equal(rows['start adapter'].value, 'fresh');
  assert.equal(rows.device.value, 'auto → cpu');
  assert.equal(rows.steps.value, '10 (5 per epoch)');
  assert.equal(rows.images.value, '36 train · 4 validation');
  const before = Object.fromEntries(runSettings(config, []).map((r) => [r.name, r]));
  assert.equal(before.device.value, 'auto');
  assert.equal(before.steps, undefined, 'no trainer facts before the start event');
});
