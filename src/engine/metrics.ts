// Token-level measures of an adapter on a folder of images: patch-word accuracy against NAME.truth.json,
// top-5 accuracy, agreement with the SEA labels, modality gap D (SEA Eq. 5) and TACS (K = 10, App. D).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PatchWords } from '../shared/tokenMap';
import { badInput } from './engineError';
import type { LoadedPack } from './packLoader';
import type { SearchIndex } from './searchIndex';

/** Truth for one image: the words that describe each patch (row-major; empty = none), and its caption. */
export interface Truth {
  words: string[][];
  caption?: string;
}

/**
 * NAME.truth.json, as the demo pack's builder writes it:
 * `{"grid": {"rows", "cols"}, "caption": "…", "patches": [{"row", "col", "words": ["…"]}]}`.
 * Also accepted: `"word": "…"` per patch, or `"labels": [...]` (one word or word list per patch, row-major).
 */
export async function readTruth(file: string, grid: { rows: number; cols: number }): Promise<Truth | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  const name = path.basename(file);
  type PatchEntry = { row: number; col: number; word?: string | null; words?: string[] };
  let j: { grid?: { rows: number; cols: number }; caption?: string; labels?: unknown[]; patches?: PatchEntry[] };
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw badInput(`${name}: not valid JSON (${(e as Error).message})`);
  }
  const n = grid.rows * grid.cols;
  if (j.grid && (j.grid.rows !== grid.rows || j.grid.cols !== grid.cols)) {
    throw badInput(`${name}: truth grid ${j.grid.cols}×${j.grid.rows} does not match the pack's patch grid ${grid.cols}×${grid.rows}`);
  }
  const asList = (w: unknown): string[] => (Array.isArray(w) ? w.filter((x): x is string => typeof x === 'string') : typeof w === 'string' && w ? [w] : []);
  const caption = typeof j.caption === 'string' ? j.caption : undefined;
  if (Array.isArray(j.labels)) {
    const flat = j.labels.length === grid.rows && j.labels.every(Array.isArray) && grid.rows !== n ? (j.labels as unknown[][]).flat() : j.labels;
    if (flat.length !== n) throw badInput(`${name}: ${flat.length} labels for a ${grid.cols}×${grid.rows} grid (${n} patches)`);
    return { words: flat.map(asList), caption };
  }
  if (Array.isArray(j.patches)) {
    const words: string[][] = Array.from({ length: n }, () => []);
    for (const p of j.patches) {
      if (!(p.row >= 0 && p.row < grid.rows && p.col >= 0 && p.col < grid.cols)) {
        throw badInput(`${name}: patch (${p.row}, ${p.col}) is outside the ${grid.cols}×${grid.rows} grid`);
      }
      words[p.row * grid.cols + p.col] = asList(p.words ?? p.word);
    }
    return { words, caption };
  }
  throw badInput(`${name}: expected "patches" [{row, col, words}] or "labels" (one entry per patch, row-major)`);
}

/**
 * Top-1 / top-5 hits against the truth words, counted over ALL patches of the image (patches without
 * truth words count as misses), exactly as the Python evaluator does. Comparison is case-sensitive.
 */
export function accuracy(patches: PatchWords[], truth: Truth): { top1: number; top5: number; n: number } {
  let top1 = 0, top5 = 0;
  patches.forEach((p, i) => {
    const t = truth.words[i] ?? [];
    if (p.words[0] && t.includes(p.words[0].word)) top1++;
    if (p.words.slice(0, 5).some((w) => t.includes(w.word))) top5++;
  });
  return { top1, top5, n: patches.length };
}

/**
 * Per kind of word, as the demo pack's evaluator counts (python/sealens/demo_metrics.py): a patch with one
 * true word is background (its material), with two an object (colour, then shape). Top-1 is one word, so
 * colour + shape ≤ object; "at rank R" counts a true word found among the patch's R best words (R = its
 * number of true words), which a perfect predictor scores 1 on for every kind.
 */
export interface KindTally { background: number; backgroundN: number; colour: number; shape: number; object: number; colourR: number; shapeR: number; objectN: number }

export const emptyKindTally = (): KindTally => ({ background: 0, backgroundN: 0, colour: 0, shape: 0, object: 0, colourR: 0, shapeR: 0, objectN: 0 });

export function tallyKinds(patches: PatchWords[], truth: Truth, into: KindTally = emptyKindTally()): KindTally {
  patches.forEach((p, i) => {
    const t = truth.words[i] ?? [];
    const top = p.words[0]?.word;
    if (t.length === 1) {
      into.backgroundN++;
      if (top === t[0]) into.background++;
    } else if (t.length >= 2) {
      const best = p.words.slice(0, t.length).map((w) => w.word);
      into.objectN++;
      if (top === t[0]) into.colour++;
      if (top === t[t.length - 1]) into.shape++;
      if (top !== undefined && t.includes(top)) into.object++;
      if (best.includes(t[0])) into.colourR++;
      if (best.includes(t[t.length - 1])) into.shapeR++;
    }
  });
  return into;
}

/** Rates of a tally; `balanced` = mean of background, colour and shape (top-1), `balancedR` the same at rank R. */
export function kindRates(k: KindTally): Record<'background' | 'colour' | 'shape' | 'object' | 'balanced' | 'balancedR', number> {
  const bg = k.background / Math.max(1, k.backgroundN);
  const o = (x: number) => x / Math.max(1, k.objectN);
  return { background: bg, colour: o(k.colour), shape: o(k.shape), object: o(k.object), balanced: (bg + o(k.colour) + o(k.shape)) / 3, balancedR: (bg + o(k.colourR) + o(k.shapeR)) / 3 };
}

/** SEA Eq. 5 per image: mean over visual tokens of the L2 distance to the nearest candidate embedding. */
export function gapD(tokens: Float32Array, n: number, index: SearchIndex): number {
  const H = index.width;
  const C = index.size;
  let sum = 0;
  for (let p = 0; p < n; p++) {
    const x = tokens.subarray(p * H, (p + 1) * H);
    let xx = 0;
    for (let j = 0; j < H; j++) xx += x[j] * x[j];
    let best = Infinity;
    for (let c = 0; c < C; c++) {
      let dot = 0;
      const off = c * H;
      for (let j = 0; j < H; j++) dot += x[j] * index.table[off + j];
      // ‖x − e‖² = ‖x‖² + ‖e‖² − 2‖e‖(x·ê), with ê the normalised row
      const d2 = xx + index.norms[c] * index.norms[c] - 2 * index.norms[c] * dot;
      if (d2 < best) best = d2;
    }
    sum += Math.sqrt(Math.max(best, 0));
  }
  return sum / n;
}

/** TACS (App. D): for each visual token the best cosine to any caption token's embedding; mean of the top K. */
export function tacs(pack: LoadedPack, tokens: Float32Array, n: number, caption: string, K = 10): number | null {
  // Every token of the caption (no BOS/EOS), as the evaluator encodes captions.
  const t = pack.tokenizer;
  const ids = [...new Set(t.tokenizer.encode(caption, { add_special_tokens: false }).ids)].filter((id) => !t.special.has(id) && id < pack.embeddings.rows);
  if (!ids.length) return null;
  const H = pack.embeddings.width;
  const E = pack.embeddings.data;
  const en = ids.map((id) => Math.sqrt(E.subarray(id * H, (id + 1) * H).reduce((a, v) => a + v * v, 0)) || 1);
  const best: number[] = [];
  for (let p = 0; p < n; p++) {
    const x = tokens.subarray(p * H, (p + 1) * H);
    const xn = Math.sqrt(x.reduce((a, v) => a + v * v, 0)) || 1;
    let b = -Infinity;
    ids.forEach((id, i) => {
      let dot = 0;
      for (let j = 0; j < H; j++) dot += x[j] * E[id * H + j];
      b = Math.max(b, dot / (xn * en[i]));
    });
    best.push(b);
  }
  best.sort((a, b) => b - a);
  const top = best.slice(0, Math.min(K, best.length));
  return top.reduce((a, b) => a + b, 0) / top.length;
}
