// The embedding table kept in half precision: rows converted on copy equal readTensorF32's conversion, the
// whole-table view is built only on first access, and NaN/Inf are found on the bits with their position.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { copyRow, readEmbeddingTable } from '../../src/engine/embeddingTable';
import { readSafetensorsHeader, readTensorF32 } from '../../src/engine/safetensors';
import { ROOT } from '../fixtures/fixturePacks';

const DIR = path.join(ROOT, '.test-artifacts', 'embedding-table');

/** A safetensors file with one 2-D tensor of raw 16-bit values. */
function write16(name: string, dtype: 'F16' | 'BF16', rows: number, cols: number, bits: Uint16Array): string {
  mkdirSync(DIR, { recursive: true });
  const header = new TextEncoder().encode(JSON.stringify({ t: { dtype, shape: [rows, cols], data_offsets: [0, bits.byteLength] } }));
  const out = new Uint8Array(8 + header.length + bits.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(new Uint8Array(bits.buffer), 8 + header.length);
  const f = path.join(DIR, name);
  writeFileSync(f, out);
  return f;
}

const bitsOf = (n: number, seed: number, mask: number) => {
  const b = new Uint16Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) b[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16 & mask;
  return b;
};

describe('embedding table in half precision', () => {
  for (const [dtype, mask] of [['F16', 0xbbff], ['BF16', 0xbf7f]] as const) {
    it(`${dtype}: rows and the lazy float32 view equal readTensorF32; norms are the rows' L2 norms`, async () => {
      const rows = 37, cols = 24;
      const f = write16(`t-${dtype}.safetensors`, dtype, rows, cols, bitsOf(rows * cols, 5, mask));
      const h = await readSafetensorsHeader(f);
      const ref = await readTensorF32(h, 't');
      const t = await readEmbeddingTable(h, 't', 'llm/t.safetensors');
      assert.equal(t.half?.kind, dtype);
      const row = new Float32Array(cols);
      for (const r of [0, 17, 36]) {
        const n = copyRow(t, r, row, 0);
        assert.deepEqual(row, ref.data.subarray(r * cols, (r + 1) * cols));
        assert.ok(Math.abs(n - Math.hypot(...row)) < 1e-4 * Math.max(1, n));
      }
      assert.deepEqual(t.data, ref.data);
    });
  }
  it('BAD INPUT - a NaN / an Inf in the table → named with its [row, column]', async () => {
    const bits = bitsOf(20 * 8, 9, 0x3bff);
    bits[13 * 8 + 5] = 0x7e00; // fp16 NaN
    const h = await readSafetensorsHeader(write16('nan.safetensors', 'F16', 20, 8, bits));
    await assert.rejects(readEmbeddingTable(h, 't', 'llm/e.safetensors'), { message: /llm\/e\.safetensors: "t": value NaN at \[13, 5\] is not finite; the weights are broken — re-export them/ });
    const b2 = bitsOf(20 * 8, 9, 0x3f7f);
    b2[2 * 8 + 6] = 0xff80; // bf16 −Inf
    const h2 = await readSafetensorsHeader(write16('inf.safetensors', 'BF16', 20, 8, b2));
    await assert.rejects(readEmbeddingTable(h2, 't', 'llm/e.safetensors'), { message: /value -Infinity at \[2, 6\]/ });
  });
});

describe('the NaN/Inf verdict is remembered per unchanged file', () => {
  it('a checked file leaves a marker; the same path rewritten with a NaN is scanned again and refused', async () => {
    const cache = path.join(DIR, 'cache');
    rmSync(cache, { recursive: true, force: true });
    const saved = process.env.SEA_LENS_CACHE_DIR;
    process.env.SEA_LENS_CACHE_DIR = cache;
    try {
      const good = bitsOf(10 * 8, 3, 0x3bff);
      const f = write16('marker.safetensors', 'F16', 10, 8, good);
      await readEmbeddingTable(await readSafetensorsHeader(f), 't', 'e');
      assert.equal(readdirSync(path.join(cache, 'checked')).length, 1);
      await readEmbeddingTable(await readSafetensorsHeader(f), 't', 'e');
      const bad = good.slice();
      bad[7] = 0x7c00; // +Inf
      const later = new Date(Date.now() + 5000);
      write16('marker.safetensors', 'F16', 10, 8, bad);
      utimesSync(f, later, later);
      await assert.rejects(readEmbeddingTable(await readSafetensorsHeader(f), 't', 'e'), { message: /value Infinity at \[0, 7\]/ });
    } finally {
      if (saved === undefined) delete process.env.SEA_LENS_CACHE_DIR;
      else process.env.SEA_LENS_CACHE_DIR = saved;
    }
  });
});
