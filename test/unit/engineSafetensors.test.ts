// The safetensors reader: dtype conversion and every header check, on files written here byte by byte.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readMlpWeights } from '../../src/engine/adapterWeights';
import { assertFinite, readSafetensorsHeader, readTensorF32 } from '../../src/engine/safetensors';
import { ROOT } from '../fixtures/fixturePacks';

const TMP = path.join(ROOT, '.test-artifacts', 'safetensors');
mkdirSync(TMP, { recursive: true });

function write(name: string, header: unknown, data: Uint8Array, headerLenOverride?: bigint): string {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  const f = path.join(TMP, name);
  writeFileSync(f, out);
  return f;
}

describe('safetensors reader', () => {
  it('reads F32, F16 and BF16 to the same float32 values', async () => {
    const vals = [1, -2.5, 0.15625, 65504];
    const f32 = new Uint8Array(new Float32Array(vals).buffer);
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc100, 0x3100, 0x7bff]).buffer);
    const bf16 = new Uint8Array(new Uint16Array(new Uint32Array(new Float32Array(vals).buffer).map((u) => u >>> 16)).buffer);
    const data = new Uint8Array([...f32, ...f16, ...bf16]);
    const f = write('ok.safetensors', {
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      b: { dtype: 'F16', shape: [4], data_offsets: [16, 24] },
      c: { dtype: 'BF16', shape: [4], data_offsets: [24, 32] },
    }, data);
    const h = await readSafetensorsHeader(f);
    assert.deepEqual([...(await readTensorF32(h, 'a')).data], vals);
    assert.deepEqual([...(await readTensorF32(h, 'b')).data], vals);
    // bf16 keeps 8 significant bits: 65504 → 65280
    assert.deepEqual([...(await readTensorF32(h, 'c')).data], [1, -2.5, 0.15625, 65280]);
    await assert.rejects(readTensorF32(h, 'zzz'), { message: /no tensor named "zzz" \(it has: a, b, c\)/ });
  });

  const bad: [string, () => string, RegExp][] = [
    ['file shorter than 8 bytes', () => { const f = path.join(TMP, 'tiny.safetensors'); writeFileSync(f, 'abc'); return f; }, /tiny\.safetensors: not a safetensors file \(3 bytes/],
    ['header length beyond the file', () => write('len.safetensors', { }, new Uint8Array(0), 1000n), /header length 1000 is impossible for a 10-byte file/],
    ['header not JSON', () => write('json.safetensors', '{"a": [', new Uint8Array(0)), /header is not valid JSON/],
    ['unknown dtype', () => write('dtype.safetensors', { a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor "a" has unknown dtype "F8"/],
    ['shape × dtype ≠ byte range', () => write('size.safetensors', { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /F32\[3\] needs 12 bytes but data_offsets \[0, 8\] hold 8/],
    ['offsets beyond the data (truncated)', () => write('trunc.safetensors', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /ends at byte 16 of the data section, which has only 8 bytes/],
    ['overlapping tensors', () => write('overlap.safetensors', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), /tensors "a" and "b" overlap/],
    ['negative shape', () => write('neg.safetensors', { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /invalid shape \[-1\]/],
  ];
  for (const [what, make, msg] of bad) {
    it(`BAD INPUT - ${what} → clear message`, async () => {
      await assert.rejects(readSafetensorsHeader(make()), { message: msg });
    });
  }

  it('BAD INPUT - NaN in weights → names the tensor and the position', () => {
    assert.throws(() => assertFinite(new Float32Array([0, 1, NaN, 3]), 'adapter "x": tensor "w"', [2, 2]), { message: /tensor "w": value NaN at \[1, 0\] is not finite/ });
  });

  it('BAD INPUT - adapter safetensors without LLaVA keys → lists the expected and the found keys', async () => {
    const f = write('adapter-keys.safetensors', { 'proj.weight': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
    await assert.rejects(readMlpWeights(f, 'adapter "x"'), { message: /adapter "x" \(adapter-keys\.safetensors\): no LLaVA mlp2x_gelu weights found; expected keys model\.multi_modal_projector\.linear_1\.weight or model\.mm_projector\.0\.weight or .* found: proj\.weight/ });
  });

  it('BAD INPUT - adapter whose second layer does not take the first layer\'s output → names both sizes', async () => {
    const t = (shape: number[], off: number) => ({ dtype: 'F32', shape, data_offsets: [off, off + 4 * shape.reduce((a, b) => a * b, 1)] });
    const f = write('adapter-chain.safetensors', {
      'mm_projector.0.weight': t([3, 2], 0), 'mm_projector.0.bias': t([3], 24),
      'mm_projector.2.weight': t([4, 5], 36), 'mm_projector.2.bias': t([4], 116),
    }, new Uint8Array(132));
    await assert.rejects(readMlpWeights(f, 'adapter "y"'), { message: /mm_projector\.2\.weight takes 5 inputs but mm_projector\.0 produces 3/ });
  });
});
