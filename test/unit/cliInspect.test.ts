// sea-lens inspect on real files: the fixture packs (built by test/fixtures/make_packs.py), their ONNX
// encoders and safetensors tables, and a small Hugging Face checkpoint folder written here; missing
// tensors answered with the nearest names, also by the engine's own reader.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/cli';
import { readSafetensorsHeader, readTensorF32 } from '../../src/engine/safetensors';
import { fixturePacks } from '../fixtures/fixturePacks';

const fx = fixturePacks();
const CLIP = path.join(fx.dir ?? '', 'clip');

async function run(...argv: string[]) {
  let out = '', err = '';
  const code = await main(['inspect', ...argv], { installDir: os.tmpdir(), stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

/** A real safetensors file: 8-byte header length, JSON header, F32 data. */
function writeSafetensors(file: string, tensors: Record<string, number[]>): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  const parts: Buffer[] = [];
  for (const [name, shape] of Object.entries(tensors)) {
    const n = shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * n] };
    parts.push(Buffer.from(new Float32Array(n).fill(0.5).buffer));
    offset += 4 * n;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([len, json, ...parts]));
}

let tmp: string;
let ckpt: string;

describe('sea-lens inspect', () => {
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sealens-inspect-'));
    ckpt = path.join(tmp, 'llava-tiny');
    mkdirSync(ckpt);
    writeFileSync(path.join(ckpt, 'config.json'), JSON.stringify({ architectures: ['LlavaForConditionalGeneration'], model_type: 'llava', vision_feature_layer: -2, vision_feature_select_strategy: 'default',
      vision_config: { model_type: 'clip_vision_model', image_size: 336, patch_size: 14, hidden_size: 1024, num_hidden_layers: 24 }, text_config: { model_type: 'llama', vocab_size: 32064, hidden_size: 4096 } }));
    writeFileSync(path.join(ckpt, 'tokenizer.json'), '{}');
    const map = { 'vision_tower.vision_model.embeddings.patch_embedding.weight': 'model-00001-of-00002.safetensors', 'multi_modal_projector.linear_1.weight': 'model-00001-of-00002.safetensors',
      'language_model.model.embed_tokens.weight': 'model-00001-of-00002.safetensors', 'language_model.model.layers.0.mlp.up_proj.weight': 'model-00002-of-00002.safetensors' };
    writeFileSync(path.join(ckpt, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: map }));
    writeSafetensors(path.join(ckpt, 'model-00001-of-00002.safetensors'), { 'vision_tower.vision_model.embeddings.patch_embedding.weight': [4, 3, 2, 2], 'multi_modal_projector.linear_1.weight': [8, 4], 'language_model.model.embed_tokens.weight': [10, 8] });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a pack: name, encoder inputs/outputs, adapters, embedding table size', async (t) => {
    if (!fx.dir) return t.skip(fx.skip);
    const r = await run(CLIP);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /pack "clip"/);
    assert.match(r.out, /in {2}pixel_values float32 \[batch, 3, 32, 32\]/);
    assert.match(r.out, /adapters \(2; default sea\):\n {2}sea: adapters\/sea\.safetensors, adapters\/sea\.onnx/);
    assert.match(r.out, /embedding table: model\.embed_tokens\.weight F32 \[32000, 48\] \(32000 words × 48\), 6\.1 MB/);
    const j = JSON.parse((await run(CLIP, '--json')).out);
    assert.deepEqual(j.embeddings.shape, [32000, 48]);
    assert.deepEqual(j.adapters.map((a: { name: string }) => a.name), ['sea', 'base']);
  });

  it('an ONNX file: inputs and outputs with types and shapes (symbolic dimensions by name)', async (t) => {
    if (!fx.dir) return t.skip(fx.skip);
    const j = JSON.parse((await run(path.join(CLIP, 'encoder', 'vision_model.onnx'), '--json')).out);
    assert.deepEqual(j.inputs, [{ name: 'pixel_values', type: 'float32', shape: ['batch', 3, 32, 32] }]);
    assert.ok(j.outputs.some((o: { name: string; shape: unknown[] }) => o.name === 'hidden_states' && o.shape.length === 4));
  });

  it('a safetensors file: keys, dtypes, shapes; --tensor NAME, and a missing one → exit 1 with the nearest names', async () => {
    const file = path.join(ckpt, 'model-00001-of-00002.safetensors');
    const r = await run(file);
    assert.equal(r.code, 0);
    assert.match(r.out, /3 tensors/);
    assert.match(r.out, /language_model\.model\.embed_tokens\.weight\s+F32\s+\[10, 8\]/);
    assert.match((await run(file, '--tensor', 'multi_modal_projector.linear_1.weight')).out, /F32 \[8, 4\]/);
    const miss = await run(file, '--tensor', 'model.embed_tokens.weight');
    assert.equal(miss.code, 1);
    assert.match(miss.err, /has no tensor "model\.embed_tokens\.weight"; nearest: language_model\.model\.embed_tokens\.weight/);
  });

  it('a checkpoint folder: config summary, shards, which an explain needs and which are missing; --tensor through the index', async () => {
    const r = await run(ckpt);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /architecture \["LlavaForConditionalGeneration"\] \(model_type llava\)/);
    assert.match(r.out, /vision: model_type "clip_vision_model", image_size 336, patch_size 14/);
    assert.match(r.out, /projector: vision_feature_layer -2/);
    assert.match(r.out, /4 tensors in 2 shards \(1 here\); an explain needs model-00001-of-00002\.safetensors$/m);
    assert.match((await run(ckpt, '--tensor', 'language_model.model.embed_tokens.weight')).out, /F32 \[10, 8\]/);
    const typo = await run(ckpt, '--tensor', 'language_model.model.embed_token.weight');
    assert.equal(typo.code, 1);
    assert.match(typo.err, /nearest: language_model\.model\.embed_tokens\.weight/);
    // The same checkpoint as a Hugging Face cache repo folder (refs/main → snapshot).
    const repoDir = path.join(tmp, 'hub', 'models--org--llava-tiny');
    const commit = 'f'.repeat(40);
    mkdirSync(path.join(repoDir, 'snapshots'), { recursive: true });
    mkdirSync(path.join(repoDir, 'refs'));
    symlinkSync(ckpt, path.join(repoDir, 'snapshots', commit));
    writeFileSync(path.join(repoDir, 'refs', 'main'), commit);
    assert.match((await run(repoDir)).out, new RegExp(`checkpoint ${path.join(repoDir, 'snapshots', commit)}`));
    const far = await run(ckpt, '--tensor', 'language_model.model.layers.0.mlp.up_proj.weight');
    assert.match(far.err, /is in model-00002-of-00002\.safetensors, which is not in .* \(not downloaded\?\)/);
  });

  it('BAD INPUT - nothing there, a file type it does not read, a folder that is neither → exit 2; a broken pack → exit 1 with the manifest error', async (t) => {
    assert.equal((await run(path.join(tmp, 'nope'))).code, 2);
    writeFileSync(path.join(tmp, 'notes.txt'), 'x');
    assert.match((await run(path.join(tmp, 'notes.txt'))).err, /reads \.onnx and \.safetensors files, model packs and checkpoint folders/);
    mkdirSync(path.join(tmp, 'plain'), { recursive: true });
    assert.equal((await run(path.join(tmp, 'plain'))).code, 2);
    assert.equal((await run()).code, 2);
    if (!fx.dir) return t.skip(fx.skip);
    const broken = await run(path.join(fx.dir, 'broken-missing-file'));
    assert.equal(broken.code, 1);
    assert.match(broken.err, /manifest\.json: .*not found/);
  });

  it('the engine\'s "no tensor named" error lists the nearest keys of a large file', async () => {
    const file = path.join(tmp, 'many.safetensors');
    const tensors: Record<string, number[]> = {};
    for (let i = 0; i < 30; i++) tensors[`language_model.model.layers.${i}.mlp.up_proj.weight`] = [1];
    tensors['language_model.model.embed_tokens.weight'] = [2, 2];
    writeSafetensors(file, tensors);
    await assert.rejects(readTensorF32(await readSafetensorsHeader(file), 'model.embed_tokens.weight'), { message: /no tensor named "model\.embed_tokens\.weight" \(nearest of its 31: language_model\.model\.embed_tokens\.weight, / });
  });
});
