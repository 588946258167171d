// The engine end to end on fixture packs: nearest neighbours vs brute force, device choice and fallback,
// request superseding by viewId, shared pack loading, labels, compare, wordsNear, metrics.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { Engine } from '../../src/engine/engine';
import { sampleProportional, seededRandom } from '../../src/engine/labels';
import { encodeImage, project } from '../../src/engine/pipeline';
import { CANONICAL_FILTERS } from '../../src/engine/vocabulary';
import type { DeviceNotice } from '../../src/shared/engineProtocol';
import { EngineErrorCode } from '../../src/shared/engineProtocol';
import { ROOT, fixturePacks } from '../fixtures/fixturePacks';

const fx = fixturePacks();
const P = (name: string) => path.join(fx.dir ?? '', name);
const TMP = path.join(ROOT, '.test-artifacts', 'explain-tests');
const IMG = path.join(TMP, 'a.png');

describe('engine', { skip: fx.skip }, () => {
  const devices: DeviceNotice[] = [];
  const engine = new Engine({ device: (n) => devices.push(n) });
  before(async () => {
    rmSync(TMP, { recursive: true, force: true });
    mkdirSync(TMP, { recursive: true });
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c33' } }).png().toFile(IMG);
    await sharp({ create: { width: 40, height: 40, channels: 3, background: '#33c' } }).png().toFile(path.join(TMP, 'b.png'));
  });
  after(() => engine.dispose());

  it('nearest neighbours = brute-force float64 cosine over the candidate rows (top-5 ids and scores)', async () => {
    const pack = await engine.getPack(P('clip'), 'cpu');
    const index = await pack.searchIndex({});
    const enc = await encodeImage(pack, IMG);
    const x = (await project(pack, pack.adapters.get('sea')!, enc)).data;
    const n = 16, H = pack.embeddings.width, k = 5;
    const r = await index.search(x, n, k);
    const E = pack.embeddings.data;
    for (let p = 0; p < n; p += 5) {
      const xp = Array.from(x.subarray(p * H, (p + 1) * H));
      const xn = Math.hypot(...xp);
      const scores = index.candidates.map((c) => {
        const v = new Array(H).fill(0);
        for (const id of c.ids) for (let j = 0; j < H; j++) v[j] += E[id * H + j] / c.ids.length;
        return xp.reduce((a, xi, j) => a + xi * v[j], 0) / (xn * Math.hypot(...v));
      });
      const best = scores.map((s, i) => [s, i]).sort((a, b) => b[0] - a[0]).slice(0, k);
      assert.deepEqual([...r.indices.subarray(p * k, (p + 1) * k)], best.map((b) => b[1]));
      best.forEach(([s], j) => assert.ok(Math.abs(r.values[p * k + j] - s) < 1e-5));
    }
  });

  it('explain returns a complete TokenMap; device auto falls back to the CPU with a one-line reason', async () => {
    const m = await engine.explain({ image: IMG, pack: P('clip'), topK: 3 });
    assert.equal(m.device, 'cpu');
    assert.deepEqual(m.grid, { rows: 4, cols: 4 });
    assert.equal(m.patches.length, 16);
    assert.deepEqual(m.patches[5], { ...m.patches[5], row: 1, col: 1 });
    for (const p of m.patches) {
      assert.equal(p.words.length, 3);
      assert.ok(p.words[0].score >= p.words[1].score && p.words[1].score >= p.words[2].score);
    }
    // 64×48 → shortest edge 32 gives 42×32 (HF truncates), crop 32 at left 5: in source pixels ×64/42.
    assert.deepEqual(m.region, { x: (5 * 64) / 42, y: 0, width: (32 * 64) / 42, height: 48 });
    assert.deepEqual(m.imageSize, { width: 64, height: 48 });
    for (const k of ['preprocess', 'encoder', 'adapter', 'search', 'total']) assert.equal(typeof m.timings[k], 'number');
    const auto = devices.find((d) => d.requested === 'auto');
    assert.ok(auto && auto.used === 'cpu' && auto.reason && !auto.reason.includes('\n'), JSON.stringify(auto));
    assert.match(auto.reason!, /webgpu: /);
    assert.ok(m.notes?.some((n) => n.startsWith('running on cpu: ')));
  });

  it('BAD INPUT - device "webgpu" without an adapter → says so and lists the choices', async () => {
    await assert.rejects(engine.explain({ image: IMG, pack: P('clip'), device: 'webgpu' }), (e: Error & { code: number }) => {
      assert.equal(e.code, EngineErrorCode.BadInput);
      assert.match(e.message, /device "webgpu" is not usable here: .*Choose another device \(auto, webgpu, cuda, cpu\)/);
      return true;
    });
  });

  it('BAD INPUT - unknown device / adapter / topK → list valid values', async () => {
    await assert.rejects(engine.explain({ image: IMG, pack: P('clip'), device: 'tpu' as never }), { message: /unknown device "tpu"; valid choices: auto, webgpu, cuda, cpu/ });
    await assert.rejects(engine.explain({ image: IMG, pack: P('clip'), device: 'cpu', adapter: 'x' }), { message: /has no adapter "x"; it has: sea, base/ });
    await assert.rejects(engine.explain({ image: IMG, pack: P('clip'), device: 'cpu', topK: 0 }), { message: /topK must be an integer from 1 to 50/ });
  });

  it('a newer request with the same viewId cancels the older one', async () => {
    const first = engine.explain({ image: IMG, pack: P('dinov2'), device: 'cpu', viewId: 'v1' });
    const second = engine.explain({ image: IMG, pack: P('dinov2'), device: 'cpu', viewId: 'v1' });
    await assert.rejects(first, (e: Error & { code: number }) => e.code === EngineErrorCode.Cancelled);
    assert.equal((await second).patches.length, 16);
  });

  it('concurrent requests share one pack load', () => {
    const a = engine.getPack(P('siglip'), 'cpu');
    const b = engine.getPack(P('siglip'), 'cpu');
    assert.equal(a, b);
    return a.then(() => undefined);
  });

  it('compare: same encoder pass, two adapters, agreement = share of unchanged top words', async () => {
    const r = await engine.compare({ image: IMG, pack: P('clip'), device: 'cpu', adapterA: 'sea', adapterB: 'base' });
    assert.equal(r.changed.length, 16);
    assert.equal(r.agreement, r.changed.filter((c) => !c).length / 16);
    assert.equal(r.a.adapter, 'sea');
    assert.equal(r.b.adapter, 'base');
  });

  it('wordsNear: cosine of every visual token to one word, top word of a patch scores highest', async () => {
    const m = await engine.explain({ image: IMG, pack: P('clip'), device: 'cpu', topK: 1 });
    const word = m.patches[0].words[0].word;
    const near = await engine.wordsNear({ image: IMG, pack: P('clip'), device: 'cpu', word });
    assert.equal(near.values.length, 16);
    assert.ok(Math.abs(near.values[0] - m.patches[0].words[0].score) < 1e-5);
  });

  it('neighbors: the patches of a folder most similar to a word, best first, limited', async () => {
    const m = await engine.explain({ image: IMG, pack: P('clip'), device: 'cpu', topK: 1 });
    const word = m.patches[3].words[0].word;
    const hits = await engine.neighbors({ word, folder: TMP, pack: P('clip'), device: 'cpu', limit: 5 });
    assert.equal(hits.length, 5);
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
    assert.ok(hits[0].score >= m.patches[3].words[0].score - 1e-5);
  });

  it('labels: top-N ≥ threshold, reproducible with a seed, sampled label is a candidate', async () => {
    const a = await engine.labels({ image: IMG, pack: P('clip'), device: 'cpu', seed: 7 });
    const b = await engine.labels({ image: IMG, pack: P('clip'), device: 'cpu', seed: 7 });
    assert.deepEqual(a, b);
    for (const p of a.patches) {
      assert.ok(p.candidates.length <= 10 && p.candidates.every((c) => c.score >= 0));
      if (p.sampled) assert.ok(p.candidates.some((c) => c.word === p.sampled));
    }
  });

  it('score-proportional sampling: frequencies follow S_i / ΣS_i (linear, not softmax)', () => {
    const rand = seededRandom(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[sampleProportional([0.1, 0.3, 0.6], rand)]++;
    [0.1, 0.3, 0.6].forEach((p, i) => assert.ok(Math.abs(counts[i] / 30000 - p) < 0.015, `${counts}`));
    assert.equal(sampleProportional([0, 0], rand), -1);
  });

  it('metrics: accuracy against NAME.truth.json (builder format) equals a recount from explain; TACS from its caption', async () => {
    const m = await engine.explain({ image: IMG, pack: P('clip'), device: 'cpu', topK: 5, filters: { stopwords: false } });
    // The demo-pack builder's format: word lists per patch, caption inside; patches 12–15 have no truth.
    const patches = m.patches.slice(0, 12).map((p, i) => ({ row: p.row, col: p.col, words: i < 8 ? ['qqq', p.words[0].word] : [p.words[3].word] }));
    writeFileSync(path.join(TMP, 'a.truth.json'), JSON.stringify({ grid: { rows: 4, cols: 4 }, caption: 'a red cat on the grass.', patches }));
    const r = await engine.metrics({ folder: TMP, pack: P('clip'), device: 'cpu', adapter: 'sea' });
    assert.equal(r.images, 2);
    assert.equal(r.imagesWithTruth, 1);
    assert.equal(r.patchWordAccuracy, 8 / 16);
    assert.equal(r.top5Accuracy, 12 / 16);
    assert.ok(r.gapD > 0 && Number.isFinite(r.gapD));
    assert.ok(r.tacs !== null && r.tacs <= 1 && r.tacs >= -1);
    assert.ok(r.labelAgreement !== null);
  });

  it('BAD INPUT - truth file with the wrong number of labels → names both numbers', async () => {
    writeFileSync(path.join(TMP, 'a.truth.json'), JSON.stringify({ labels: ['cat'] }));
    await assert.rejects(engine.metrics({ folder: TMP, pack: P('clip'), device: 'cpu' }), { message: /a\.truth\.json: 1 labels for a 4×4 grid \(16 patches\)/ });
    rmSync(path.join(TMP, 'a.truth.json'));
  });
});

describe('demo pack (media/demo-pack)', () => {
  const demo = path.join(ROOT, 'media', 'demo-pack');
  const skip = existsSync(path.join(demo, 'manifest.json')) ? false : 'media/demo-pack is missing (built by python/sealens/build_pack.py)';
  it('canonical candidates = the count the Python evaluator recorded; every sample explains on the CPU', { skip }, async () => {
    const engine = new Engine();
    try {
      const pack = await engine.getPack(demo, 'cpu');
      const recorded = (pack.manifest.evaluation as { candidates?: number } | undefined)?.candidates;
      assert.equal((await pack.searchIndex({ ...CANONICAL_FILTERS })).size, recorded);
      const m = await engine.metrics({ folder: path.join(ROOT, 'media', 'samples'), pack: demo, device: 'cpu', adapter: 'baseline' });
      assert.ok(m.imagesWithTruth > 0 && m.patchWordAccuracy !== null && m.tacs !== null);
    } finally {
      await engine.dispose();
    }
  });
});
