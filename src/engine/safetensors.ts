// A hand-written safetensors reader. The format is tiny (8-byte little-endian header length, a JSON header,
// raw little-endian tensor bytes), so a dependency buys nothing; what matters is validating the header
// before trusting any offset in it, because a pack may come from anywhere.
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { packError } from './engineError';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Headers beyond this are not plausible for model weights and would only serve to exhaust memory. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  tensors: Map<string, TensorInfo>;
  metadata?: Record<string, string>;
}

export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const label = path.basename(file);
  const size = (await stat(file)).size;
  if (size < 8) throw packError(`${label}: not a safetensors file (${size} bytes; at least 8 needed for the header length)`);
  const fh = await open(file, 'r');
  try {
    const lenBuf = new Uint8Array(8);
    await fh.read(lenBuf, 0, 8, 0);
    const n = Number(new DataView(lenBuf.buffer).getBigUint64(0, true));
    if (n < 2 || n > MAX_HEADER_BYTES || 8 + n > size) {
      throw packError(`${label}: header length ${n} is impossible for a ${size}-byte file (truncated or not safetensors); re-export or re-download it`);
    }
    const hb = new Uint8Array(n);
    await fh.read(hb, 0, n, 8);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(hb);
    } catch {
      throw packError(`${label}: header is not valid UTF-8 (the format requires it); the file is damaged or not safetensors — re-export it`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw packError(`${label}: header is not valid JSON (${(e as Error).message})`);
    }
    // JSON.parse keeps the last of two equal keys: two entries for one tensor would make the file mean
    // whatever the reader picks. The format forbids it; refuse it.
    const twice = duplicateTopLevelKey(text);
    if (twice !== undefined) throw packError(`${label}: tensor "${twice}" appears twice in the header; the file is damaged — re-export it`);
    return parseHeader(label, file, json, size - 8 - n, 8 + n);
  } finally {
    await fh.close();
  }
}

function parseHeader(label: string, file: string, json: unknown, dataBytes: number, dataStart: number): SafetensorsHeader {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw packError(`${label}: header is not a JSON object`);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> | undefined;
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw packError(`${label}: tensor "${name}" entry is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      throw packError(`${label}: tensor "${name}" has unknown dtype ${JSON.stringify(e.dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw packError(`${label}: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[1] < off[0]) {
      throw packError(`${label}: tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const dtype = e.dtype as SafetensorsDtype;
    const want = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (off[1] - off[0] !== want) {
      throw packError(`${label}: tensor "${name}" ${dtype}[${shape.join(', ')}] needs ${want} bytes but data_offsets [${off[0]}, ${off[1]}] hold ${off[1] - off[0]}`);
    }
    if (off[1] > dataBytes) {
      throw packError(`${label}: tensor "${name}" ends at byte ${off[1]} of the data section, which has only ${dataBytes} bytes (file truncated?); re-export or re-download it`);
    }
    tensors.set(name, { name, dtype, shape: shape as number[], begin: dataStart + off[0], end: dataStart + off[1] });
  }
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) throw packError(`${label}: tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`);
  }
  return { file, tensors, metadata };
}

let f16Table: Float32Array | undefined;
/** All 65,536 half-precision values, so converting a large fp16 table is one lookup per element. */
export function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (f16Table = t);
}

/** Reads one floating-point tensor as float32 (fp64/fp32/fp16/bf16). */
export async function readTensorF32(header: SafetensorsHeader, name: string): Promise<{ data: Float32Array; shape: number[] }> {
  const info = header.tensors.get(name);
  const label = path.basename(header.file);
  if (!info) {
    // Nearest names first: a prefix like `language_model.` added or missing is the usual mistake.
    const keys = [...header.tensors.keys()];
    const list = keys.length <= 12 ? `it has: ${nearestNames(name, keys, 12).join(', ')}` : `nearest of its ${keys.length}: ${nearestNames(name, keys).join(', ')}`;
    throw packError(`${label}: no tensor named "${name}" (${list})`);
  }
  const n = info.end - info.begin;
  const buf = new Uint8Array(n);
  const fh = await open(header.file, 'r');
  try {
    let done = 0;
    while (done < n) {
      const { bytesRead } = await fh.read(buf, done, Math.min(n - done, 1 << 28), info.begin + done);
      if (bytesRead === 0) throw packError(`${label}: file ended while reading tensor "${name}"`);
      done += bytesRead;
    }
  } finally {
    await fh.close();
  }
  const count = info.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  const ab = buf.buffer;
  switch (info.dtype) {
    case 'F32':
      out.set(new Float32Array(ab));
      break;
    case 'F64':
      out.set(new Float64Array(ab));
      break;
    case 'F16': {
      const t = halfTable();
      const src = new Uint16Array(ab);
      for (let i = 0; i < count; i++) out[i] = t[src[i]];
      break;
    }
    case 'BF16': {
      const src = new Uint16Array(ab);
      const dst = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) dst[i] = src[i] << 16;
      break;
    }
    default:
      throw packError(`${label}: tensor "${name}" is ${info.dtype}; a floating-point tensor (F32, F16, BF16, F64) is needed`);
  }
  return { data: out, shape: info.shape };
}

/** Throws a clear error when a weight holds NaN or ±Infinity (a broken export or training run). */
export function assertFinite(data: Float32Array, what: string, shape: number[]): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const cols = shape.length > 1 ? shape[shape.length - 1] : 1;
      const where = shape.length > 1 ? ` at [${Math.floor(i / cols)}, ${i % cols}]` : ` at index ${i}`;
      throw packError(`${what}: value ${data[i]}${where} is not finite; the weights are broken — re-export them`);
    }
  }
}

/** float32 tensors as a safetensors file (what `explain --save-tokens` writes). */
export function encodeSafetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // keep the data 8-byte aligned
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * The `n` names closest to `name`: first those that end with it or it ends with (a prefix such as
 * `language_model.` added or missing), then by edit distance. For "tensor not found" messages.
 */
export function nearestNames(name: string, names: readonly string[], n = 3): string[] {
  const suffix = (k: string): boolean => k.endsWith(name) || name.endsWith(k);
  return names
    .map((k) => ({ k, s: suffix(k) ? 0 : 1, d: editDistance(name, k) }))
    .sort((a, b) => a.s - b.s || a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, n)
    .map((x) => x.k);
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The first key that occurs twice at the top level of a JSON object text (already known to parse), if any. */
export function duplicateTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (/\s/.test(text[k])) k++;
        if (text[k] === ':') {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j;
    }
  }
  return undefined;
}
