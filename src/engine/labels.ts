// SEA patch labels (method §3.1 steps 2–4): cosine between the encoder's patch embeddings in the joint
// image–text space and the word list's text embeddings, times the manifest's sign, top-N, drop scores
// below the threshold, then sample one label per patch with probability S_i / Σ S_i (linear, not softmax).
import type { PatchLabels } from '../shared/engineProtocol';
import { badInput } from './engineError';
import type { LoadedPack } from './packLoader';

/** mulberry32: a tiny seeded PRNG, so that a seed reproduces the same sampled labels. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sampleProportional(scores: number[], rand: () => number): number {
  const total = scores.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return -1;
  let r = rand() * total;
  for (let i = 0; i < scores.length; i++) {
    r -= scores[i];
    if (r < 0) return i;
  }
  return scores.length - 1;
}

export function patchLabels(pack: LoadedPack, patchEmbeds: { data: Float32Array; width: number } | undefined, seed: number): { sign: number; patches: PatchLabels[] } {
  const lab = pack.manifest.labeling;
  const words = pack.packWords;
  const we = pack.labelWordEmbeddings;
  if (!lab || !we || !words.length) throw badInput(`pack "${pack.manifest.name}" has no labeling section with a word list and word embeddings (docs/model-pack.md)`);
  if (!patchEmbeds) throw badInput(`pack "${pack.manifest.name}": the encoder has no patch-embeddings output (imageEncoder.patchEmbedsOutput)`);
  if (patchEmbeds.width !== we.width) throw badInput(`patch embeddings have width ${patchEmbeds.width} but the word embeddings have ${we.width}`);
  const sign = lab.sign ?? 1;
  const topN = lab.topN ?? 10;
  const threshold = lab.threshold ?? 0;
  const E = we.width;
  const wn = new Float32Array(we.rows);
  for (let w = 0; w < we.rows; w++) {
    let s = 0;
    for (let j = 0; j < E; j++) s += we.data[w * E + j] ** 2;
    wn[w] = Math.sqrt(s) || 1;
  }
  const rand = seededRandom(seed);
  const { rows, cols } = pack.grid ?? { rows: 0, cols: 0 };
  const patches: PatchLabels[] = [];
  for (let p = 0; p < rows * cols; p++) {
    const x = patchEmbeds.data.subarray(p * E, (p + 1) * E);
    let xn = 0;
    for (let j = 0; j < E; j++) xn += x[j] * x[j];
    xn = Math.sqrt(xn) || 1;
    const scored = words.map((word, w) => {
      let dot = 0;
      for (let j = 0; j < E; j++) dot += x[j] * we.data[w * E + j];
      return { word, score: (sign * dot) / (xn * wn[w]) };
    });
    scored.sort((a, b) => b.score - a.score);
    const candidates = scored.slice(0, topN).filter((s) => s.score >= threshold);
    const i = sampleProportional(candidates.map((c) => c.score), rand);
    patches.push({ row: Math.floor(p / cols), col: p % cols, candidates, sampled: i >= 0 ? candidates[i].word : null });
  }
  return { sign, patches };
}
