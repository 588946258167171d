// Pack loading on real fixture packs (ONNX exported by torch, safetensors, real tokenizer.json files):
// every supported layout, the adapter graph against a float64 reference, and every broken pack.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { readMlpWeights, type MlpWeights } from '../../src/engine/adapterWeights';
import { adapterModel } from '../../src/engine/headGraphs';
import { loadPack, type LoadedPack } from '../../src/engine/packLoader';
import { encodeImage, project } from '../../src/engine/pipeline';
import { ROOT, fixturePacks } from '../fixtures/fixturePacks';

const fx = fixturePacks();
const P = (name: string) => path.join(fx.dir ?? '', name);
const TMP = path.join(ROOT, '.test-artifacts', 'pack-tests');
const IMG = path.join(TMP, 'img.png');

/** float64 reference of LLaVA mlp2x_gelu: Linear → GELU(erf) → Linear, PyTorch weight layout [out, in]. */
function mlpReference(w: MlpWeights, x: Float32Array, n: number): Float64Array {
  const erf = (z: number) => {
    // Numerical Recipes' erfc approximation (|error| < 1.2e-7): ample for a 1e-4 bound.
    const t = 1 / (1 + 0.5 * Math.abs(z));
    const y = 1 - t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return z >= 0 ? y : -y;
  };
  const out = new Float64Array(n * w.outDim);
  const h = new Float64Array(w.hidden);
  for (let p = 0; p < n; p++) {
    for (let j = 0; j < w.hidden; j++) {
      let s = w.b1[j];
      for (let i = 0; i < w.inDim; i++) s += w.w1[j * w.inDim + i] * x[p * w.inDim + i];
      h[j] = 0.5 * s * (1 + erf(s / Math.SQRT2));
    }
    for (let k = 0; k < w.outDim; k++) {
      let s = w.b2[k];
      for (let j = 0; j < w.hidden; j++) s += w.w2[k * w.hidden + j] * h[j];
      out[p * w.outDim + k] = s;
    }
  }
  return out;
}

describe('model packs', { skip: fx.skip }, () => {
  const packs: LoadedPack[] = [];
  before(async () => {
    rmSync(TMP, { recursive: true, force: true });
    cpSync(P('dinov2'), path.join(TMP, 'dinov2-copy'), { recursive: true });
    await sharp({ create: { width: 50, height: 40, channels: 3, background: '#3a7' } }).png().toFile(IMG);
  });
  after(async () => {
    for (const p of packs) await p.release();
  });
  const load = async (name: string) => {
    const p = await loadPack(name.includes('/') ? name : P(name), 'cpu');
    packs.push(p);
    return p;
  };

  it('adapter ONNX graph built from safetensors = float64 reference (max |Δ| < 1e-4) and = torch-exported ONNX', async () => {
    const w = await readMlpWeights(path.join(P('clip'), 'adapters', 'sea.safetensors'), 'sea');
    const n = 7;
    const x = Float32Array.from({ length: n * w.inDim }, (_, i) => Math.sin(i * 0.37) * 2);
    const built = await ort.InferenceSession.create(adapterModel(w));
    const ours = (await built.run({ image_features: new ort.Tensor('float32', x, [n, w.inDim]) })).projected.data as Float32Array;
    const ref = mlpReference(w, x, n);
    let max = 0;
    for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ours[i] - ref[i]));
    assert.ok(max < 1e-4, `max |Δ| = ${max}`);
    const exported = await ort.InferenceSession.create(path.join(P('clip'), 'adapters', 'sea.onnx'));
    const t = (await exported.run({ image_features: new ort.Tensor('float32', x, [1, n, w.inDim]) })).projected.data as Float32Array;
    let max2 = 0;
    for (let i = 0; i < t.length; i++) max2 = Math.max(max2, Math.abs(ours[i] - t[i]));
    assert.ok(max2 < 1e-5, `vs torch export: max |Δ| = ${max2}`);
  });

  it('CLIP layout: stacked hidden_states, hiddenStateIndex -2, CLS dropped — equals slicing the raw output', async () => {
    const pack = await load('clip');
    assert.deepEqual(pack.encoder.read, { kind: 'stacked', name: 'hidden_states', layer: 1 });
    const enc = await encodeImage(pack, IMG, true);
    const raw = await pack.encoder.session.run({ pixel_values: new ort.Tensor('float32', enc.pre.pixels!, [1, 3, 32, 32]) });
    const hs = raw.hidden_states;
    const [, , T, D] = hs.dims.map(Number);
    const layer = (hs.data as Float32Array).slice(1 * T * D, 2 * T * D);
    assert.deepEqual([...enc.features], [...layer.slice(1 * D)]);
    assert.equal(enc.features.length, 16 * 32);
    assert.ok(enc.patchEmbeds && enc.patchEmbeds.width === 16);
  });

  it('SigLIP layout: no CLS, hidden_states.N outputs, HF adapter keys in bf16, llava keys without "model." in fp16, bf16 embeddings at language_model.*', async () => {
    const pack = await load('siglip');
    assert.equal(pack.encoder.prefixTokens, 0);
    assert.deepEqual(pack.encoder.read, { kind: 'separate', name: 'hidden_states.1' });
    assert.deepEqual([...pack.adapters.keys()], ['sea', 'base']);
    assert.equal(pack.embeddings.rows, 151936);
    const enc = await encodeImage(pack, IMG);
    const out = (await project(pack, pack.adapters.get('sea')!, enc)).data;
    assert.equal(out.length, 16 * 48);
    assert.ok(out.every(Number.isFinite));
  });

  it('DINOv2 layout: 5 prefix tokens (CLS + 4 registers), ONNX external data resolved beside the model, fp16 embeddings', async () => {
    const pack = await load('dinov2');
    assert.equal(pack.encoder.prefixTokens, 5);
    const enc = await encodeImage(pack, IMG);
    assert.equal(enc.features.length, 16 * 32);
  });

  it('a pack with ONNX external data works after being copied elsewhere (data resolved beside the model)', async () => {
    const pack = await load(path.join(TMP, 'dinov2-copy'));
    assert.equal(pack.manifest.name, 'dinov2');
    assert.equal((await encodeImage(pack, IMG)).features.length, 16 * 32);
  });

  const broken: [string, RegExp][] = [
    ['broken-missing-file', /manifest\.json: \/adapters\/1\/safetensors: file "adapters\/base\.safetensors" not found in pack folder/],
    ['broken-dims', /adapter "base" \(base\.safetensors\): dimensions do not chain — it maps 40→48→48, but the encoder gives D = 32 and the embedding table has width H = 48/],
    ['broken-nan', /adapter "base" \(base\.safetensors\): tensor "model\.mm_projector\.2\.weight": value NaN at \[3, 5\] is not finite/],
    ['broken-tokenizer', /tokenizer\.json: not valid JSON/],
    ['broken-escape', /manifest\.json: \/adapters\/1\/safetensors: path must be relative to the pack folder/],
    ['broken-symlink', /manifest\.json: \/adapters\/1\/safetensors: "adapters\/base\.safetensors" leads outside the pack folder/],
    ['broken-external-data', /encoder\/vision_model\.onnx: onnxruntime cannot load it .*External data path/],
  ];
  for (const [name, msg] of broken) {
    it(`BAD INPUT - pack ${name} → ${msg.source.slice(0, 60)}…`, async () => {
      await assert.rejects(loadPack(P(name), 'cpu'), { message: msg });
    });
  }

  const manifestCase = (what: string, edit: (m: Record<string, any>) => void, msg: RegExp) =>
    it(`BAD INPUT - manifest ${what}`, async () => {
      const dir = mkdtempSync(path.join(TMP, 'm-'));
      cpSync(P('clip'), dir, { recursive: true });
      const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
      edit(m);
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
      await assert.rejects(loadPack(dir, 'cpu'), { message: msg });
    });
  manifestCase('with absolute path → path must be relative', (m) => { m.llm.tokenizer = '/etc/passwd'; }, /\/llm\/tokenizer: path must be relative/);
  manifestCase('without adapters → path-qualified required message', (m) => { delete m.adapters; }, /manifest\.json: \/: missing required property "adapters"/);
  manifestCase('formatVersion 2 → asks to update', (m) => { m.formatVersion = 2; }, /\/formatVersion is 2; this SEA Lens reads version 1/);
  manifestCase('duplicate adapter names', (m) => { m.adapters[1].name = 'sea'; }, /\/adapters\/1\/name: adapter name "sea" is used twice/);
  manifestCase('wrong prefixTokens → names token counts', (m) => { m.imageEncoder.prefixTokens = 2; }, /has 17 tokens; with prefixTokens 2 that leaves 15, but a 4×4 patch grid .* needs 16/);
  manifestCase('hiddenStateIndex out of range', (m) => { m.imageEncoder.hiddenStateIndex = -9; }, /hiddenStateIndex: -9 is out of range for 3 stacked hidden states/);
  manifestCase('unknown encoder output', (m) => { m.imageEncoder.output = 'nope'; delete m.imageEncoder.hiddenStateIndex; }, /the encoder has no output "nope" \(it has: last_hidden_state/);

  it('BAD INPUT - folder without manifest.json → says it is not a model pack', async () => {
    await assert.rejects(loadPack(TMP, 'cpu'), { message: /no manifest\.json in this folder — is it a SEA Lens model pack/ });
  });
});
