// NaN/Inf never reach the nearest-word search as if they were numbers: an ONNX adapter whose OUTPUT is not
// finite, and word-embedding tables holding NaN/Inf, are refused with the tensor and the position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/engine/engine';
import { readMlpWeights } from '../../src/engine/adapterWeights';
import { adapterModel } from '../../src/engine/headGraphs';
import { encodeSafetensors, readSafetensorsHeader, readTensorF32 } from '../../src/engine/safetensors';
import { fixturePacks } from '../fixtures/fixturePacks';

const fx = fixturePacks();

async function packCopy(t: { after(fn: () => void): void }): Promise<{ dir: string; image: string; manifest: Record<string, any> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-nonfinite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(fx.dir!, 'clip'), path.join(dir, 'pack'), { recursive: true });
  const image = path.join(dir, 'img.png');
  await sharp({ create: { width: 40, height: 40, channels: 3, background: '#4080c0' } }).png().toFile(image);
  return { dir: path.join(dir, 'pack'), image, manifest: JSON.parse(readFileSync(path.join(dir, 'pack', 'manifest.json'), 'utf8')) };
}

test('BAD INPUT - an ONNX adapter whose output holds NaN: refused with the adapter, token and channel', { skip: fx.skip }, async (t) => {
  const { dir, image, manifest } = await packCopy(t);
  const w = await readMlpWeights(path.join(dir, 'adapters', 'base.safetensors'), 'base');
  w.b2[5] = NaN; // channel 5 of every output token
  writeFileSync(path.join(dir, 'adapters', 'nan.onnx'), adapterModel(w));
  manifest.adapters = [{ name: 'nan', onnx: 'adapters/nan.onnx' }];
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const engine = new Engine();
  t.after(() => engine.dispose());
  await assert.rejects(engine.explain({ image, pack: dir, adapter: 'nan', device: 'cpu' }), {
    message: /adapter "nan" \(adapters\/nan\.onnx\) output: value NaN at token 0, channel 5 is not finite/,
  });
});

test('BAD INPUT - LLM word embeddings holding Inf: refused with the file, tensor and position', { skip: fx.skip }, async (t) => {
  const { dir, image, manifest } = await packCopy(t);
  const ref = manifest.llm.embeddings as { file: string; tensor: string };
  const file = path.join(dir, ref.file);
  const { data, shape } = await readTensorF32(await readSafetensorsHeader(file), ref.tensor);
  data[2 * shape[1] + 7] = Infinity;
  writeFileSync(file, encodeSafetensors({ [ref.tensor]: { shape, data } }));
  const engine = new Engine();
  t.after(() => engine.dispose());
  await assert.rejects(engine.explain({ image, pack: dir, device: 'cpu' }), {
    message: new RegExp(`${ref.file.replace(/[./]/g, '\\$&')}: "${ref.tensor.replace(/\./g, '\\.')}": value Infinity at \\[2, 7\\] is not finite`),
  });
});
