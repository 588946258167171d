// Pure layout arithmetic for the token-map overlay: where each patch sits on the displayed image, how
// big its label may be, how the keyboard moves between patches, how scores map to heat. No DOM here, so
// the unit tests run in Node and the PNG export draws exactly what the SVG shows.

import type { Box, TokenMap, TokenView, PatchScalarMap } from './tokenMap';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How image pixels map to display pixels: display = image × k + (x, y). */
export interface Transform {
  k: number;
  x: number;
  y: number;
}

export const IDENTITY: Transform = { k: 1, x: 0, y: 0 };

/**
 * A token's box (original-image pixels) in display pixels. `ky` defaults to `t.k`; the CLI's SVG, drawn at
 * a size other than the image's, scales the two axes separately.
 */
export function boxRect(box: Box, t: Transform, ky = t.k): Rect {
  return { x: box.x * t.k + t.x, y: box.y * ky + t.y, width: box.w * t.k, height: box.h * ky };
}

/** Average advance of a character in em for the UI sans-serif fonts; measured widths refine it. */
export const AVG_CHAR_EM = 0.58;

export interface FitOptions {
  /** Below this size (px) a label is not drawn at all: unreadable text is noise. */
  minPx: number;
  maxPx: number;
  /** Fraction of the cell kept free around the label. */
  padding: number;
  /** Width of the text in em units (width at 1px font size); defaults to length × AVG_CHAR_EM. */
  measureEm?: (text: string) => number;
}

export const DEFAULT_FIT: FitOptions = { minPx: 7, maxPx: 28, padding: 0.08 };

export interface FittedLabel {
  text: string;
  fontPx: number;
  /** False when even the shortest truncation does not fit at minPx. */
  visible: boolean;
}

/**
 * The largest font size at which `text` fits the cell (width and height), clamped to [minPx, maxPx];
 * when the whole word would need a font below minPx it is shortened with an ellipsis instead, so every
 * drawn label stays legible whatever the zoom.
 */
export function fitLabel(text: string, cellW: number, cellH: number, opts: FitOptions = DEFAULT_FIT): FittedLabel {
  const measure = opts.measureEm ?? ((t: string) => Math.max(1, [...t].length) * AVG_CHAR_EM);
  const availW = cellW * (1 - 2 * opts.padding);
  const availH = cellH * (1 - 2 * opts.padding);
  const byHeight = availH / 1.2; // line box ≈ 1.2 em
  if (byHeight < opts.minPx || availW <= 0 || text.length === 0) return { text, fontPx: opts.minPx, visible: false };
  const byWidth = availW / measure(text);
  const size = Math.min(opts.maxPx, byHeight, byWidth);
  if (size >= opts.minPx) return { text, fontPx: size, visible: true };
  // Shorten: keep as many characters as fit at minPx, plus an ellipsis; at least 2 characters + "…".
  const chars = [...text];
  for (let n = chars.length - 1; n >= 2; n--) {
    const t = chars.slice(0, n).join('') + '…';
    if (availW / measure(t) >= opts.minPx) return { text: t, fontPx: opts.minPx, visible: true };
  }
  return { text, fontPx: opts.minPx, visible: false };
}

export type NavKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End';

const centre = (b: Box): [number, number] => [b.x + b.w / 2, b.y + b.h / 2];

/**
 * The token an arrow key moves to: the nearest box centre in that direction (within ±45° of it), so that
 * navigation works on grids, tiles of different sizes and any aspect alike; it stays put at an edge (no
 * wrap, like a data grid). Home/End go to the first/last token of the same row (centres within half a box
 * height). `candidates` are the tokens on screen (the current view's patches).
 */
export function nextPatchIndex(index: number, key: NavKey, boxes: readonly (Box | undefined)[], candidates: readonly number[]): number {
  const from = boxes[index];
  if (!from) return candidates[0] ?? index;
  const [cx, cy] = centre(from);
  let best = index;
  let bestScore = Infinity;
  for (const j of candidates) {
    const b = boxes[j];
    if (!b || j === index) continue;
    const [x, y] = centre(b);
    const dx = x - cx;
    const dy = y - cy;
    let along: number;
    let across: number;
    if (key === 'Home' || key === 'End') {
      if (Math.abs(dy) > from.h / 2) continue;
      along = key === 'Home' ? -dx : dx;
      if (along <= 1e-9) continue;
      const score = -along; // the farthest along the row
      if (score < bestScore) [best, bestScore] = [j, score];
      continue;
    }
    if (key === 'ArrowRight') [along, across] = [dx, dy];
    else if (key === 'ArrowLeft') [along, across] = [-dx, dy];
    else if (key === 'ArrowDown') [along, across] = [dy, dx];
    else [along, across] = [-dy, dx];
    if (along <= 1e-9 || Math.abs(across) > along) continue;
    const score = along + 2 * Math.abs(across); // straight neighbours before diagonal ones
    if (score < bestScore) [best, bestScore] = [j, score];
  }
  return best;
}

/** Per-patch values for the heat layer, normalised to [0, 1], with the range and a label for the legend. */
export interface HeatValues {
  values: number[];
  min: number;
  max: number;
  label: string;
}

export function heatValues(tm: TokenMap, map: PatchScalarMap | 'score', range?: { min: number; max: number }): HeatValues {
  let raw: number[];
  let label: string;
  if (map === 'score') {
    raw = tm.patches.map((p) => p.words[0]?.score ?? Number.NaN);
    label = 'top-1 cosine';
  } else {
    if (map.values.length !== tm.patches.length) {
      throw new Error(`heatmap "${map.label}" has ${map.values.length} values; the token map has ${tm.patches.length} tokens`);
    }
    raw = map.values;
    label = map.label;
  }
  const finiteVals = raw.filter(Number.isFinite);
  const min = range?.min ?? (finiteVals.length ? Math.min(...finiteVals) : 0);
  const max = range?.max ?? (finiteVals.length ? Math.max(...finiteVals) : 1);
  const span = max - min || 1;
  const clamp = (x: number): number => Math.min(1, Math.max(0, x));
  return { values: raw.map((v) => (Number.isFinite(v) ? clamp((v - min) / span) : Number.NaN)), min, max, label };
}

/** Relative luminance (WCAG) of a CSS colour string in #rgb, #rrggbb or rgb()/rgba() form; NaN if unknown. */
export function luminance(css: string): number {
  const rgb = parseCssColor(css);
  if (!rgb) return Number.NaN;
  const lin = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

export function parseCssColor(css: string): [number, number, number] | undefined {
  const s = css.trim();
  let m = /^#([0-9a-f]{3})$/i.exec(s);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as [number, number, number];
  m = /^#([0-9a-f]{6})(?:[0-9a-f]{2})?$/i.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as [number, number, number];
  m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return undefined;
}

/** The halo colour that contrasts with a text colour: dark text gets a light halo and vice versa. */
export function haloFor(textColor: string): string {
  const l = luminance(textColor);
  return Number.isNaN(l) || l > 0.35 ? 'rgba(0,0,0,0.85)' : 'rgba(255,255,255,0.9)';
}

/** Every patch index whose top word is `word` (the click-to-highlight set). */
export function patchesWithTopWord(tm: TokenMap, word: string): number[] {
  const out: number[] = [];
  tm.patches.forEach((p, i) => {
    if (p.words[0]?.word === word) out.push(i);
  });
  return out;
}

/**
 * A one-line accessible description of a token for screen readers and the tooltip title; rows and columns
 * are 1-based. The view's label prefixes it when the map has several views.
 */
export function patchLabel(p: TokenMap['patches'][number], topK: number, view?: TokenView): string {
  const words = p.words.slice(0, topK).map((w) => `${w.word} ${scoreText(w.score)}`);
  const rc = p.row === undefined ? '' : p.col === undefined ? `row ${p.row + 1}` : `row ${p.row + 1}, column ${p.col + 1}`;
  const where = p.kind === 'patch' ? rc || 'patch' : `${p.kind}${p.row === undefined ? '' : ` after row ${p.row + 1}`}`;
  return `${view ? `${view.label}, ` : ''}${where}: ${words.join(', ') || 'no word'}`;
}

/** A score as the views print it (3 decimals); a missing score (null in JSON) prints as "–". */
export function scoreText(score: number | null | undefined): string {
  return typeof score === 'number' && Number.isFinite(score) ? score.toFixed(3) : '–';
}
