// The data path for one image: preprocess → encoder → adapter → nearest words. Each stage is a function so
// that compare/metrics/neighbors can share the encoder output between adapters.
import * as ort from 'onnxruntime-node';
import type { PatchWords, TokenMap } from '../shared/tokenMap';
import { badInput } from './engineError';
import type { LoadedAdapter, LoadedPack } from './packLoader';
import { preprocessImage, type PreprocessedImage } from './preprocess';
import type { SearchIndex } from './searchIndex';
import { wordTokenIds } from './vocabulary';

export interface EncodedImage {
  pre: PreprocessedImage;
  /** Patch tokens [P, D] (prefix tokens dropped). */
  features: Float32Array;
  /** Patch tokens in the joint image–text space [P, E], when the encoder exports them. */
  patchEmbeds?: { data: Float32Array; width: number };
  timings: Record<string, number>;
}

const now = () => performance.now();
const ms = (t: number) => Math.round(t * 100) / 100;

/** `withPatchEmbeds`: also fetch the joint-space patch embeddings (labels, metrics); explain does not need them. */
export async function encodeImage(pack: LoadedPack, image: string, withPatchEmbeds = false): Promise<EncodedImage> {
  const t0 = now();
  const pre = await preprocessImage(image, pack.preprocessor);
  const t1 = now();
  const enc = pack.encoder;
  const feeds = { [enc.input]: new ort.Tensor('float32', pre.pixels, [1, 3, pre.height, pre.width]) };
  const wantPe = withPatchEmbeds && enc.patchEmbedsOutput && enc.session.outputNames.includes(enc.patchEmbedsOutput);
  const fetches = [enc.read.name, ...(wantPe ? [enc.patchEmbedsOutput as string] : [])];
  const out = await enc.session.run(feeds, fetches);
  const t2 = now();
  const P = pack.grid.rows * pack.grid.cols;
  const D = enc.dim;
  const t = out[enc.read.name];
  const data = t.data as Float32Array;
  // stacked: [L, 1, T, D] → the chosen layer's [T, D] block; plain/separate: [1, T, D].
  const T = Number(t.dims[t.dims.length - 2]);
  const base = enc.read.kind === 'stacked' ? enc.read.layer * T * D : 0;
  if (T - enc.prefixTokens !== P) throw badInput(`encoder returned ${T} tokens; expected ${enc.prefixTokens} prefix + ${P} patches`);
  const features = data.slice(base + enc.prefixTokens * D, base + T * D);
  let patchEmbeds: EncodedImage['patchEmbeds'];
  if (fetches.length > 1) {
    const pe = out[fetches[1]];
    const width = Number(pe.dims[pe.dims.length - 1]);
    const pt = Number(pe.dims[pe.dims.length - 2]);
    const pd = pe.data as Float32Array;
    patchEmbeds = { data: pd.slice((pt - P) * width), width };
  }
  return { pre, features, patchEmbeds, timings: { preprocess: ms(t1 - t0), encoder: ms(t2 - t1) } };
}

export async function project(pack: LoadedPack, adapter: LoadedAdapter, features: Float32Array): Promise<Float32Array> {
  const P = pack.grid.rows * pack.grid.cols;
  const dims = adapter.batched ? [1, P, pack.encoder.dim] : [P, pack.encoder.dim];
  const out = await adapter.session.run({ [adapter.input]: new ort.Tensor('float32', features, dims) });
  return out[adapter.output].data as Float32Array;
}

export function resolveAdapter(pack: LoadedPack, name?: string): LoadedAdapter {
  const a = pack.adapters.get(name ?? pack.defaultAdapter);
  if (!a) throw badInput(`pack "${pack.manifest.name}" has no adapter "${name}"; it has: ${[...pack.adapters.keys()].join(', ')}`);
  return a;
}

export function toPatches(pack: LoadedPack, index: SearchIndex, r: { values: Float32Array; indices: Int32Array; k: number }): PatchWords[] {
  const { rows, cols } = pack.grid;
  const patches: PatchWords[] = [];
  for (let p = 0; p < rows * cols; p++) {
    const words = [];
    for (let j = 0; j < r.k; j++) words.push({ word: index.candidates[r.indices[p * r.k + j]].word, score: r.values[p * r.k + j] });
    patches.push({ row: Math.floor(p / cols), col: p % cols, words });
  }
  return patches;
}

export async function explainEncoded(
  pack: LoadedPack, enc: EncodedImage, image: string, adapterName: string | undefined, index: SearchIndex, topK: number,
): Promise<{ map: TokenMap; projected: Float32Array }> {
  const adapter = resolveAdapter(pack, adapterName);
  const t0 = now();
  const projected = await project(pack, adapter, enc.features);
  const t1 = now();
  const r = await index.search(projected, pack.grid.rows * pack.grid.cols, topK);
  const t2 = now();
  const timings: Record<string, number> = { ...enc.timings, adapter: ms(t1 - t0), search: ms(t2 - t1) };
  timings.total = ms(Object.values(timings).reduce((a, b) => a + b, 0));
  const notes = [...enc.pre.notes];
  if (pack.deviceReason) notes.push(`running on ${pack.device}: ${pack.deviceReason}`);
  const map: TokenMap = {
    image, pack: pack.manifest.name, adapter: adapter.name, device: pack.device, grid: pack.grid,
    patches: toPatches(pack, index, r), timings, imageSize: enc.pre.imageSize, region: enc.pre.region,
    ...(notes.length ? { notes } : {}),
  };
  return { map, projected };
}

/** Mean of the embedding rows of a word's tokens (SEA Eq. 10), or of the candidate with that surface form. */
export function wordVector(pack: LoadedPack, index: SearchIndex, word: string): Float32Array {
  const c = index.candidates.findIndex((x) => x.word === word);
  const H = pack.embeddings.width;
  if (c >= 0) return index.table.slice(c * H, (c + 1) * H);
  const ids = wordTokenIds(pack.tokenizer, word).filter((id) => id < pack.embeddings.rows);
  if (!ids.length) throw badInput(`"${word}" does not tokenize to any token of pack "${pack.manifest.name}"`);
  const v = new Float32Array(H);
  for (const id of ids) for (let j = 0; j < H; j++) v[j] += pack.embeddings.data[id * H + j] / ids.length;
  return v;
}

export function cosineMap(tokens: Float32Array, n: number, v: Float32Array): number[] {
  const H = v.length;
  let vn = 0;
  for (let j = 0; j < H; j++) vn += v[j] * v[j];
  vn = Math.sqrt(vn) || 1;
  const out: number[] = [];
  for (let p = 0; p < n; p++) {
    let dot = 0;
    let nn = 0;
    for (let j = 0; j < H; j++) {
      const x = tokens[p * H + j];
      dot += x * v[j];
      nn += x * x;
    }
    out.push(dot / ((Math.sqrt(nn) || 1) * vn));
  }
  return out;
}
