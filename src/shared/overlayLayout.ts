// Pure layout arithmetic for the token-map overlay: where each patch sits on the displayed image, how
// big its label may be, how the keyboard moves between patches, how scores map to heat. No DOM here, so
// the unit tests run in Node and the PNG export draws exactly what the SVG shows.

import type { TokenMap, PatchScalarMap } from './tokenMap';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The rectangle (in source pixels) the patch grid covers: TokenMap.region, else the whole image. */
export function gridRegion(tm: Pick<TokenMap, 'region' | 'imageSize'>, natural: { width: number; height: number }): Rect {
  if (tm.region) return { ...tm.region };
  const size = tm.imageSize ?? natural;
  return { x: 0, y: 0, width: size.width, height: size.height };
}

/**
 * Patch rectangles in display pixels, row-major. `scale` maps source pixels to display pixels; the
 * source size used is TokenMap.imageSize when known (the engine's EXIF-corrected size), else natural.
 */
export function patchRects(grid: { rows: number; cols: number }, region: Rect, scale: number): Rect[] {
  const out: Rect[] = [];
  const w = (region.width / grid.cols) * scale;
  const h = (region.height / grid.rows) * scale;
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) out.push({ x: region.x * scale + c * w, y: region.y * scale + r * h, width: w, height: h });
  }
  return out;
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

/** Row-major index after a navigation key; stays inside the grid (no wrap, like a data grid). */
export function nextPatchIndex(index: number, key: NavKey, grid: { rows: number; cols: number }): number {
  const n = grid.rows * grid.cols;
  const row = Math.floor(index / grid.cols);
  const col = index % grid.cols;
  switch (key) {
    case 'ArrowLeft':
      return col > 0 ? index - 1 : index;
    case 'ArrowRight':
      return col < grid.cols - 1 ? index + 1 : index;
    case 'ArrowUp':
      return row > 0 ? index - grid.cols : index;
    case 'ArrowDown':
      return row < grid.rows - 1 ? index + grid.cols : index;
    case 'Home':
      return row * grid.cols;
    case 'End':
      return Math.min(n - 1, row * grid.cols + grid.cols - 1);
  }
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

/** A one-line accessible description of a patch for screen readers and the tooltip title. */
export function patchLabel(p: TokenMap['patches'][number], topK: number): string {
  const words = p.words.slice(0, topK).map((w) => `${w.word} ${w.score.toFixed(3)}`);
  const where = p.kind === 'patch' ? `row ${(p.row ?? 0) + 1}, column ${(p.col ?? 0) + 1}` : `${p.kind} after row ${(p.row ?? 0) + 1}`;
  return `${where}: ${words.join(', ') || 'no word'}`;
}
