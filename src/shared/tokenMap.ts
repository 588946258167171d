// The TokenMap: what every visual token of one image decodes to. It is the engine's answer, the CLI's
// JSON, the webview's and the notebook renderer's input (MIME application/vnd.sealens.tokenmap+json).
// Its contract is schemas/tokenmap.schema.json (version 2: every token carries its box on the original
// image, the view it came from and its kind). Version-1 maps (one rows × cols grid over one region, saved
// notebooks and exports of earlier releases) are upgraded on load by `upgradeTokenMap`.
import { LIMITS } from './mediaLimits';

export type Device = 'cpu' | 'webgpu' | 'cuda';
export type DeviceChoice = 'auto' | Device;
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['auto', 'webgpu', 'cuda', 'cpu'];

export const TOKENMAP_MIME = 'application/vnd.sealens.tokenmap+json';
export const TOKENMAP_VERSION = 2;

export interface WordScore {
  word: string;
  /** Cosine similarity between the visual token and the word's LLM input embedding. */
  score: number;
}

/** A rectangle in the original image's pixels (after EXIF orientation). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Grid {
  rows: number;
  cols: number;
}

/**
 * `patch` tokens are drawn on the image at their box; the others (LLaVA-NeXT's row-end newline, separators,
 * tokens that cover only padding) have no place on the image and are listed beside it.
 */
export type TokenKind = 'patch' | 'newline' | 'separator' | 'padding';

export interface TokenView {
  /** Stable id: `image`, `base`, `tile-<r>-<c>`, `thumbnail`, … */
  id: string;
  /** What a person reads in the view switcher: "base image 336×336", "tile 1, 2 of 2×2". */
  label: string;
  /** The part of the original image this view shows, clipped to the image. */
  rect: Box;
  /** The view's token grid after the adapter, when it has one. */
  grid?: Grid;
}

export interface PatchWords {
  kind: TokenKind;
  /** Index into TokenMap.views. */
  tile: number;
  /** Where the token's receptive patch lies on the original image; present for every `patch`. */
  box?: Box;
  /** Row/column in its view's grid (a newline: the row it ends). */
  row?: number;
  col?: number;
  /** Sorted by score, best first; length = top-k. */
  words: WordScore[];
}

export interface TokenMap {
  version: 2;
  /** Image path (as given, or relative to the notebook/report), or a display name. */
  image: string;
  /** Pack name. */
  pack: string;
  adapter: string;
  device: Device;
  /** Model family whose geometry placed the tokens (llava, llava-next, qwen2-vl, …). */
  family?: string;
  /** Size of the source image in pixels (after EXIF orientation). */
  imageSize: { width: number; height: number };
  /** Present when the whole map is one rows × cols grid (patches row-major): grid models, v1 maps. */
  grid?: Grid;
  /** The region of the source image the model saw (a centre crop covers less than the whole image). */
  region?: { x: number; y: number; width: number; height: number };
  views: TokenView[];
  /** Every visual token in the order the LLM receives it. */
  patches: PatchWords[];
  /** Milliseconds per stage, e.g. preprocess, encoder, adapter, search, total. */
  timings: Record<string, number>;
  /** Things the user should know about this result (e.g. "animated GIF: first frame used"). */
  notes?: string[];
}

/** A per-token scalar map (e.g. similarity of every visual token to one word), in TokenMap.patches order. */
export interface PatchScalarMap {
  grid?: Grid;
  values: number[];
  label: string;
}

/** Boxes of a rows × cols grid laid over `rect`, row-major. */
export function gridBoxes(grid: Grid, rect: Box): Box[] {
  const out: Box[] = [];
  const w = rect.w / grid.cols;
  const h = rect.h / grid.rows;
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) out.push({ x: rect.x + c * w, y: rect.y + r * h, w, h });
  }
  return out;
}

/** Tokens of a single-grid map (v1 geometry): boxes over `rect`, row-major, all in view 0. */
export function gridPatches(grid: Grid, rect: Box, words: WordScore[][]): PatchWords[] {
  return gridBoxes(grid, rect).map((box, i) => ({ kind: 'patch', tile: 0, box, row: Math.floor(i / grid.cols), col: i % grid.cols, words: words[i] }));
}

export class TokenMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenMapError';
  }
}

const MAX_TOKENS = LIMITS.maxTokens;
const MAX_SIDE = LIMITS.maxGridSide;
const EPS = 1e-6;

interface V1Map {
  version?: 1;
  image: string; pack: string; adapter: string; device: Device;
  grid: Grid;
  patches: { row: number; col: number; words: WordScore[] }[];
  timings?: Record<string, number>;
  imageSize?: { width: number; height: number };
  region?: { x: number; y: number; width: number; height: number };
  notes?: string[];
}

const isCount = (n: unknown, max: number): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max;
const isNum = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

/**
 * Any stored TokenMap (version 1 or 2) as a checked version-2 map. Sizes are checked before anything is
 * allocated, and every box must lie inside the image: a map whose boxes leave the image is refused, never drawn.
 * `natural` is the image's size when a v1 map does not record it.
 */
export function upgradeTokenMap(x: unknown, where = 'TokenMap', natural?: { width: number; height: number }): TokenMap {
  if (typeof x !== 'object' || x === null) throw new TokenMapError(`${where} is not an object.`);
  const m = x as Record<string, unknown>;
  if (!Array.isArray(m.patches)) throw new TokenMapError(`${where}.patches must be a list of tokens.`);
  if (m.patches.length > MAX_TOKENS) throw new TokenMapError(`${where}.patches has ${m.patches.length} tokens; at most ${MAX_TOKENS} are supported.`);
  const tm = m.version === 2 ? (x as TokenMap) : upgradeV1(x as V1Map, where, natural);
  checkTokenMap(tm, where);
  return tm;
}

function upgradeV1(m: V1Map, where: string, natural?: { width: number; height: number }): TokenMap {
  if (m.version !== undefined && m.version !== 1) throw new TokenMapError(`${where}.version is ${JSON.stringify(m.version)}; this SEA Lens reads versions 1 and 2.`);
  const g = m.grid as Grid | undefined;
  if (!g || !isCount(g.rows, MAX_SIDE) || !isCount(g.cols, MAX_SIDE)) throw new TokenMapError(`${where}.grid must have whole rows and cols between 1 and ${MAX_SIDE} (found ${JSON.stringify(m.grid)}).`);
  if (g.rows * g.cols !== m.patches.length) throw new TokenMapError(`${where}.patches has ${m.patches.length} entries; a ${g.rows}×${g.cols} grid needs ${g.rows * g.cols}.`);
  const size = m.imageSize ?? natural ?? (m.region ? { width: m.region.x + m.region.width, height: m.region.y + m.region.height } : { width: g.cols, height: g.rows });
  const region = m.region ?? { x: 0, y: 0, width: size.width, height: size.height };
  const rect = { x: region.x, y: region.y, w: region.width, h: region.height };
  return {
    version: 2, image: m.image, pack: m.pack, adapter: m.adapter, device: m.device, imageSize: size, grid: g, region: m.region,
    views: [{ id: 'image', label: 'image', rect, grid: g }],
    patches: gridPatches(g, rect, m.patches.map((p) => p?.words)),
    timings: m.timings ?? {}, ...(m.notes ? { notes: m.notes } : {}),
  };
}

function checkBox(b: unknown, size: { width: number; height: number }, where: string): void {
  const box = b as Box;
  if (typeof box !== 'object' || box === null || ![box.x, box.y, box.w, box.h].every(isNum) || box.w <= 0 || box.h <= 0) {
    throw new TokenMapError(`${where} must be {x, y, w, h} with w, h > 0 (found ${JSON.stringify(b)}).`);
  }
  const tol = EPS * Math.max(size.width, size.height, 1);
  if (box.x < -tol || box.y < -tol || box.x + box.w > size.width + tol || box.y + box.h > size.height + tol) {
    throw new TokenMapError(`${where} ${JSON.stringify(box)} leaves the ${size.width}×${size.height} image.`);
  }
}

/** Structural and geometric checks of a version-2 map (the schema's rules plus boxes inside the image). */
export function checkTokenMap(tm: TokenMap, where = 'TokenMap'): void {
  const size = tm.imageSize;
  if (!size || !isCount(size.width, 1 << 20) || !isCount(size.height, 1 << 20)) throw new TokenMapError(`${where}.imageSize must be whole width and height ≥ 1 (found ${JSON.stringify(size)}).`);
  if (!Array.isArray(tm.views) || tm.views.length < 1 || tm.views.length > 256) throw new TokenMapError(`${where}.views must list 1 to 256 views.`);
  tm.views.forEach((v, i) => {
    if (typeof v?.id !== 'string' || typeof v.label !== 'string') throw new TokenMapError(`${where}.views[${i}] needs an id and a label.`);
    checkBox(v.rect, size, `${where}.views[${i}].rect`);
    if (v.grid !== undefined && (!isCount(v.grid.rows, MAX_SIDE) || !isCount(v.grid.cols, MAX_SIDE))) throw new TokenMapError(`${where}.views[${i}].grid must have whole rows and cols between 1 and ${MAX_SIDE}.`);
  });
  if (tm.grid !== undefined) {
    if (!isCount(tm.grid.rows, MAX_SIDE) || !isCount(tm.grid.cols, MAX_SIDE)) throw new TokenMapError(`${where}.grid must have whole rows and cols between 1 and ${MAX_SIDE} (found ${JSON.stringify(tm.grid)}).`);
    if (tm.grid.rows * tm.grid.cols !== tm.patches.length) throw new TokenMapError(`${where}.patches has ${tm.patches.length} entries; a ${tm.grid.rows}×${tm.grid.cols} grid needs ${tm.grid.rows * tm.grid.cols}.`);
  }
  tm.patches.forEach((p, i) => {
    const at = `${where}.patches[${i}]`;
    if (typeof p !== 'object' || p === null) throw new TokenMapError(`${at} is not an object.`);
    if (!['patch', 'newline', 'separator', 'padding'].includes(p.kind)) throw new TokenMapError(`${at}.kind must be patch, newline, separator or padding (found ${JSON.stringify(p.kind)}).`);
    if (!Number.isInteger(p.tile) || p.tile < 0 || p.tile >= tm.views.length) throw new TokenMapError(`${at}.tile must index one of the ${tm.views.length} views (found ${JSON.stringify(p.tile)}).`);
    if (p.kind === 'patch' || p.box !== undefined) checkBox(p.box, size, `${at}.box`);
    if (!Array.isArray(p.words) || p.words.length > 100 || p.words.some((w) => typeof w?.word !== 'string' || !(Number.isFinite(w.score) || w.score === null))) {
      throw new TokenMapError(`${at}.words must be a list of at most 100 {word, score} with finite scores (or null).`);
    }
  });
}

/** True when two maps place their tokens identically (same count, kinds, views and boxes): they can be compared token by token. */
export function sameGeometry(a: TokenMap, b: TokenMap): boolean {
  if (a.patches.length !== b.patches.length || a.views.length !== b.views.length) return false;
  const close = (p?: Box, q?: Box) => (!p && !q) || (!!p && !!q && Math.abs(p.x - q.x) < 1e-3 && Math.abs(p.y - q.y) < 1e-3 && Math.abs(p.w - q.w) < 1e-3 && Math.abs(p.h - q.h) < 1e-3);
  return a.patches.every((p, i) => p.kind === b.patches[i].kind && p.tile === b.patches[i].tile && close(p.box, b.patches[i].box));
}
