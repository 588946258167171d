// The LLM's input-embedding table as the engine holds it. Real tables are stored in fp16 or bf16
// (151,936 × 896 for Qwen 2): converting all of it to float32 up front took a third of a cold explain
// (545 MB to allocate, fill and check), while an explain only reads its candidate rows (a third of the table
// with the default filters). So the half-precision bits are kept as read, checked for NaN/Inf on the bits,
// and rows are converted when copied; `data` (the whole table in float32) is built on first use only, by
// the features that need arbitrary rows (word vectors, TACS, the GPU search graph).
import { createHash } from 'node:crypto';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packError } from './engineError';
import { assertFinite, halfTable, readTensorF32, type SafetensorsHeader } from './safetensors';
import { vocabularyCacheDir } from './vocabulary';

export interface EmbeddingTable {
  rows: number;
  width: number;
  /** The whole table in float32, [rows, width] (converted on first access for half-precision files). */
  readonly data: Float32Array;
  /** Half-precision source bits, when the file stores F16 or BF16. */
  half?: { kind: 'F16' | 'BF16'; bits: Uint16Array };
}

/** Copies row `id` as float32 into `out` at `offset`; returns its L2 norm. */
export function copyRow(t: EmbeddingTable, id: number, out: Float32Array, offset: number): number {
  const H = t.width;
  let ss = 0;
  if (t.half) {
    const src = t.half.bits;
    const base = id * H;
    if (t.half.kind === 'F16') {
      const lut = halfTable();
      for (let j = 0; j < H; j++) {
        const v = lut[src[base + j]];
        out[offset + j] = v;
        ss += v * v;
      }
    } else {
      const u32 = new Uint32Array(out.buffer, out.byteOffset + offset * 4, H);
      for (let j = 0; j < H; j++) u32[j] = src[base + j] << 16;
      for (let j = 0; j < H; j++) ss += out[offset + j] * out[offset + j];
    }
  } else {
    const src = t.data;
    const base = id * H;
    for (let j = 0; j < H; j++) {
      const v = src[base + j];
      out[offset + j] = v;
      ss += v * v;
    }
  }
  return Math.sqrt(ss);
}

/** A float32 table already in memory (tests, bench, packs in fp32). */
export function float32Table(data: Float32Array, rows: number, width: number): EmbeddingTable {
  return { data, rows, width };
}

/** Reads a 2-D table; `file` names it in messages (manifest-relative path). Checks every value is finite. */
export async function readEmbeddingTable(header: SafetensorsHeader, name: string, file: string): Promise<EmbeddingTable> {
  const info = header.tensors.get(name);
  if (!info || (info.dtype !== 'F16' && info.dtype !== 'BF16')) {
    const t = await readTensorF32(header, name);
    if (t.shape.length !== 2) throw packError(`${file}: "${name}" must be [vocabulary, width], got [${t.shape}]`);
    assertFinite(t.data, `${file}: "${name}"`, t.shape);
    return float32Table(t.data, t.shape[0], t.shape[1]);
  }
  if (info.shape.length !== 2) throw packError(`${file}: "${name}" must be [vocabulary, width], got [${info.shape}]`);
  const [rows, width] = info.shape;
  const bytes = new Uint8Array(info.end - info.begin);
  const fh = await open(header.file, 'r');
  try {
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await fh.read(bytes, done, Math.min(bytes.length - done, 1 << 28), info.begin + done);
      if (bytesRead === 0) throw packError(`${path.basename(header.file)}: file ended while reading tensor "${name}"`);
      done += bytesRead;
    }
  } finally {
    await fh.close();
  }
  const bits = new Uint16Array(bytes.buffer, 0, rows * width);
  // The NaN/Inf scan is a third of reading the table; a file that passed it and has not changed since (same
  // size and mtime) is not scanned again. The verdict is an empty marker file in the cache folder.
  const marker = await checkedMarker(header.file, name);
  const bad = marker?.passed ? -1 : firstNonFinite(bits, info.dtype);
  if (bad < 0 && marker && !marker.passed) {
    await mkdir(path.dirname(marker.file), { recursive: true }).then(() => writeFile(marker.file, '')).catch(() => undefined);
  }
  if (bad >= 0) {
    const value = info.dtype === 'F16' ? halfTable()[bits[bad]] : new Float32Array(new Uint32Array([bits[bad] << 16]).buffer)[0];
    throw packError(`${file}: "${name}": value ${value} at [${Math.floor(bad / width)}, ${bad % width}] is not finite; the weights are broken — re-export them`);
  }
  const kind = info.dtype;
  let data: Float32Array | undefined;
  const table: EmbeddingTable = {
    rows, width, half: { kind, bits },
    get data() {
      if (!data) {
        data = new Float32Array(rows * width);
        for (let r = 0; r < rows; r++) copyRow(table, r, data, r * width);
      }
      return data;
    },
  };
  return table;
}

async function checkedMarker(file: string, tensor: string): Promise<{ file: string; passed: boolean } | undefined> {
  const dir = vocabularyCacheDir();
  if (!dir) return undefined;
  try {
    const st = await stat(file);
    const key = createHash('sha256').update(`finite\0${path.resolve(file)}\0${st.size}\0${st.mtimeMs}\0${tensor}`).digest('hex').slice(0, 32);
    const marker = path.join(dir, '..', 'checked', key);
    return { file: marker, passed: await stat(marker).then(() => true, () => false) };
  } catch {
    return undefined;
  }
}

/** Index of the first NaN/±Inf (all exponent bits set), or −1; two values per step on the 32-bit view. */
function firstNonFinite(bits: Uint16Array, dtype: 'F16' | 'BF16'): number {
  const e = dtype === 'F16' ? 0x7c00 : 0x7f80;
  const e2 = e * 0x10000;
  const pairs = new Uint32Array(bits.buffer, bits.byteOffset, bits.length >>> 1);
  for (let i = 0; i < pairs.length; i++) {
    const v = pairs[i];
    if ((v & e) === e || ((v & e2) >>> 0) === e2) return (v & e) === e ? 2 * i : 2 * i + 1;
  }
  if (bits.length & 1 && (bits[bits.length - 1] & e) === e) return bits.length - 1;
  return -1;
}
