// The data path for one image: preprocess → encoder → adapter → nearest words. Each stage is a function so
// that compare/metrics/neighbors can share the encoder output between adapters.
import * as ort from 'onnxruntime-node';
import { gridPatches, type Box, type Grid, type PatchWords, type TokenMap, type TokenView } from '../shared/tokenMap';
import { defaultLayout, type ViewSpec } from './families/family';
import { renderViews, toImageBox, type ViewPixels } from './families/imageViews';
import { badInput } from './engineError';
import type { LoadedAdapter, LoadedPack } from './packLoader';
import { preprocessImage, type PreprocessedImage } from './preprocess';
import type { SearchIndex } from './searchIndex';
import { wordTokenIds } from './vocabulary';

export interface EncodedImage {
  /** Grid packs: the whole preprocessed input (pixels too); family packs: the image's size and notes. */
  pre: Pick<PreprocessedImage, 'imageSize' | 'notes'> & Partial<PreprocessedImage>;
  /** Grid packs: patch tokens [P, D] (prefix tokens dropped). */
  features: Float32Array;
  /** Family packs: each view's tower output [n, D] and where its pixels came from. */
  views?: { pixels: ViewPixels; features: Float32Array; tokens: number }[];
  /** Patch tokens in the joint image–text space [P, E], when the encoder exports them. */
  patchEmbeds?: { data: Float32Array; width: number };
  timings: Record<string, number>;
}

/** The visual tokens after the adapter, in the order the LLM receives them, and where each lies. */
export interface ProjectedTokens {
  /** [count, H] */
  data: Float32Array;
  count: number;
  tokens: Omit<PatchWords, 'words'>[];
  views: TokenView[];
  grid?: Grid;
}

const now = () => performance.now();
const ms = (t: number) => Math.round(t * 100) / 100;

/** `withPatchEmbeds`: also fetch the joint-space patch embeddings (labels, metrics); explain does not need them. */
export async function encodeImage(pack: LoadedPack, image: string, withPatchEmbeds = false): Promise<EncodedImage> {
  if (pack.family) return encodeViews(pack, image);
  const t0 = now();
  const pre = await preprocessImage(image, pack.preprocessor);
  const t1 = now();
  const enc = pack.encoder;
  const feeds = { [enc.input]: new ort.Tensor('float32', pre.pixels, [1, 3, pre.height, pre.width]) };
  const wantPe = withPatchEmbeds && enc.patchEmbedsOutput && enc.session.outputNames.includes(enc.patchEmbedsOutput);
  const fetches = [enc.read.name, ...(wantPe ? [enc.patchEmbedsOutput as string] : [])];
  const out = await enc.session.run(feeds, fetches);
  const t2 = now();
  const grid = pack.grid as Grid;
  const P = grid.rows * grid.cols;
  const { data, T } = readTokens(out[enc.read.name], enc);
  if (T - enc.prefixTokens !== P) throw badInput(`encoder returned ${T} tokens; expected ${enc.prefixTokens} prefix + ${P} patches`);
  const features = data.subarray(enc.prefixTokens * enc.dim, T * enc.dim).slice();
  assertFiniteOutput(features, `image encoder (${pack.manifest.imageEncoder.onnx}) output`, enc.dim, 'encoder');
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

/** The chosen hidden state of one encoder run as [T, D] (stacked outputs: the chosen layer's block). */
function readTokens(t: ort.Tensor, enc: LoadedPack['encoder']): { data: Float32Array; T: number } {
  const all = t.data as Float32Array;
  const T = Number(t.dims[t.dims.length - 2]);
  const base = enc.read.kind === 'stacked' ? enc.read.layer * T * enc.dim : 0;
  return { data: all.subarray(base, base + T * enc.dim), T };
}

/** Family packs: the family's views of the image, each through the exported tower. */
async function encodeViews(pack: LoadedPack, image: string): Promise<EncodedImage> {
  const family = pack.family as NonNullable<LoadedPack['family']>;
  const t0 = now();
  const prepared = await renderViews(image, (size) => family.def.views(size, family.config), family.config.norm);
  const t1 = now();
  const enc = pack.encoder;
  const views: NonNullable<EncodedImage['views']> = [];
  for (const v of prepared.views) {
    const feeds = family.def.encoderFeeds
      ? family.def.encoderFeeds(v.pixels, v.spec, family.config, enc.input, ort)
      : { [enc.input]: new ort.Tensor('float32', v.pixels, [1, 3, v.spec.height, v.spec.width]) };
    const out = await enc.session.run(feeds, [enc.read.name]);
    const { data, T } = readTokens(out[enc.read.name], enc);
    const n = T - enc.prefixTokens;
    if (n < 1) throw badInput(`encoder returned ${T} tokens for view "${v.spec.id}", no more than its ${enc.prefixTokens} prefix tokens`);
    const features = data.subarray(enc.prefixTokens * enc.dim, T * enc.dim).slice();
    assertFiniteOutput(features, `image encoder (${pack.manifest.imageEncoder.onnx}) output for view "${v.spec.id}"`, enc.dim, 'encoder');
    views.push({ pixels: v, features, tokens: n });
  }
  const t2 = now();
  return {
    pre: { imageSize: prepared.image.size, notes: prepared.image.notes }, features: new Float32Array(0), views,
    timings: { preprocess: ms(t1 - t0), encoder: ms(t2 - t1) },
  };
}

async function runAdapter(pack: LoadedPack, adapter: LoadedAdapter, features: Float32Array, n: number): Promise<{ data: Float32Array; n: number }> {
  const dims = adapter.batched ? [1, n, pack.encoder.dim] : [n, pack.encoder.dim];
  const out = (await adapter.session.run({ [adapter.input]: new ort.Tensor('float32', features, dims) }))[adapter.output];
  const data = out.data as Float32Array;
  const H = pack.embeddings.width;
  if (data.length % H) throw badInput(`adapter "${adapter.name}" returned ${data.length} values, not a whole number of ${H}-wide tokens`);
  const entry = pack.manifest.adapters.find((a) => a.name === adapter.name);
  assertFiniteOutput(data, `adapter "${adapter.name}" (${entry?.safetensors ?? entry?.onnx ?? 'in memory'}) output`, H, 'adapter');
  return { data, n: data.length / H };
}

/** NaN or infinity out of a model means broken weights: refused with the place, never drawn as words. */
function assertFiniteOutput(data: Float32Array, what: string, width: number, whose: 'encoder' | 'adapter'): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw badInput(`${what}: value ${data[i]} at token ${Math.floor(i / width)}, channel ${i % width} is not finite; the ${whose}'s weights are broken — re-export them`);
  }
}

/** Runs the adapter and places every resulting token (grid packs: row-major over the crop; family packs: the family's layout). */
export async function project(pack: LoadedPack, adapter: LoadedAdapter, enc: EncodedImage): Promise<ProjectedTokens> {
  if (!pack.family || !enc.views) {
    const grid = pack.grid as Grid;
    const P = grid.rows * grid.cols;
    const { data } = await runAdapter(pack, adapter, enc.features, P);
    const size = enc.pre.imageSize;
    const region = enc.pre.region ?? { x: 0, y: 0, width: size.width, height: size.height };
    const rect = clipRect({ x: region.x, y: region.y, w: region.width, h: region.height }, size);
    return { data, count: P, grid, views: [{ id: 'image', label: 'image', rect, grid }], tokens: gridPatches(grid, rect, []).map(({ words: _w, ...t }) => t) };
  }
  const family = pack.family;
  const outs: Float32Array[] = [];
  const grids: Grid[] = [];
  for (const v of enc.views) {
    const r = await runAdapter(pack, adapter, v.features, v.tokens);
    outs.push(r.data);
    grids.push(family.def.viewGrid(v.pixels.spec, family.config, r.n));
  }
  const size = enc.pre.imageSize;
  const specs = enc.views.map((v) => v.pixels.spec);
  const layout = family.def.layout ? family.def.layout(specs, grids, family.config, size) : defaultLayout(grids);
  const H = pack.embeddings.width;
  const data = new Float32Array(layout.length * H);
  const tokens: ProjectedTokens['tokens'] = [];
  layout.forEach((e, i) => {
    if ('extra' in e) {
      const x = pack.extras.get(e.extra);
      if (!x) throw badInput(`family "${family.def.id}" needs the learned vector "${e.extra}", which the pack does not name`);
      data.set(x, i * H);
      tokens.push({ kind: e.kind, tile: e.view, row: e.row });
      return;
    }
    data.set(outs[e.view].subarray(e.index * H, (e.index + 1) * H), i * H);
    const g = grids[e.view];
    const spec = specs[e.view];
    const cw = spec.width / g.cols;
    const ch = spec.height / g.rows;
    const box = toImageBox(enc.views![e.view].pixels.affine, e.col * cw, e.row * ch, cw, ch, size);
    tokens.push(box ? { kind: e.kind ?? 'patch', tile: e.view, box, row: e.row, col: e.col } : { kind: 'padding', tile: e.view, row: e.row, col: e.col });
  });
  const views: TokenView[] = specs.map((s, v) => ({ id: s.id, label: s.label, rect: viewRect(enc.views![v].pixels.affine, s, size), grid: grids[v] }));
  return { data, count: layout.length, tokens, views, grid: specs.length === 1 && layout.length === grids[0].rows * grids[0].cols ? grids[0] : undefined };
}

function clipRect(r: Box, size: { width: number; height: number }): Box {
  const x = Math.max(0, r.x);
  const y = Math.max(0, r.y);
  return { x, y, w: Math.max(1e-3, Math.min(size.width, r.x + r.w) - x), h: Math.max(1e-3, Math.min(size.height, r.y + r.h) - y) };
}

function viewRect(a: ViewPixels['affine'], s: ViewSpec, size: { width: number; height: number }): Box {
  return toImageBox(a, 0, 0, s.width, s.height, size) ?? { x: 0, y: 0, w: size.width, h: size.height };
}

export function resolveAdapter(pack: LoadedPack, name?: string): LoadedAdapter {
  const a = pack.adapters.get(name ?? pack.defaultAdapter);
  if (!a) throw badInput(`pack "${pack.manifest.name}" has no adapter "${name}"; it has: ${[...pack.adapters.keys()].join(', ')}`);
  return a;
}

export async function explainEncoded(
  pack: LoadedPack, enc: EncodedImage, image: string, adapterName: string | undefined, index: SearchIndex, topK: number,
): Promise<{ map: TokenMap; projected: Float32Array }> {
  const adapter = resolveAdapter(pack, adapterName);
  const t0 = now();
  const p = await project(pack, adapter, enc);
  const t1 = now();
  const r = await index.search(p.data, p.count, topK);
  const t2 = now();
  const timings: Record<string, number> = { ...enc.timings, adapter: ms(t1 - t0), search: ms(t2 - t1) };
  timings.total = ms(Object.values(timings).reduce((a, b) => a + b, 0));
  const notes = [...enc.pre.notes];
  if (pack.deviceReason) notes.push(`running on ${pack.device}: ${pack.deviceReason}`);
  notes.push(...index.notes);
  const patches: PatchWords[] = p.tokens.map((t, i) => {
    const words = [];
    for (let j = 0; j < r.k; j++) words.push({ word: index.candidates[r.indices[i * r.k + j]].word, score: r.values[i * r.k + j] });
    return { ...t, words };
  });
  const map: TokenMap = {
    version: 2, image, pack: pack.manifest.name, adapter: adapter.name, device: pack.device,
    ...(pack.family ? { family: pack.family.def.id } : {}),
    imageSize: enc.pre.imageSize, ...(p.grid ? { grid: p.grid } : {}), ...(enc.pre.region ? { region: enc.pre.region } : {}),
    views: p.views, patches, timings, ...(notes.length ? { notes } : {}),
  };
  return { map, projected: p.data };
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
