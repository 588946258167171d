// Idefics3 and SmolVLM: Idefics3ImageProcessor (SmolVLM's is the same code) resizes the longest edge to
// size.longest_edge (the short side rounded up to even), then — with do_image_splitting — resizes both sides
// up to multiples of max_image_size and cuts that canvas into rows × cols square tiles, followed by the whole
// canvas resized to one tile (the global image); without splitting the image is squashed to one tile. Every
// view is a max_image_size square, so the batch padding never adds pixels. The connector pixel-shuffles
// scale_factor × scale_factor patches into one token; the prompt lists the tiles row by row, then the global
// image, which is the views' order. The arithmetic below is the processor's, float for float.
import { imageError, packError } from '../../engineError';
import type { FamilyConfig, ModelFamily, ViewSpec } from '../family';
import type { Kernel, PixelOp } from '../imageViews';
import { kernelOf, normalizationOf, positiveInt } from '../processorConfig';

/** Idefics3's absolute cap on either side after the longest-edge resize (MAX_IMAGE_SIZE). */
export const IDEFICS3_MAX_SIDE = 4096;
/** A TokenMap holds at most 256 views: the tiles plus the global image. */
const MAX_VIEWS = 256;

export interface Idefics3Config extends FamilyConfig {
  /** size.longest_edge, or an exact size; null when do_resize is false. */
  resize: { longestEdge: number } | { height: number; width: number } | null;
  split: boolean;
  /** max_image_size.longest_edge: the side of every view. */
  tile: number;
  scaleFactor: number;
  kernel: Kernel;
}

type Size = { width: number; height: number };

/** _resize_output_size_rescale_to_max_len + _resize_output_size_scale_below_upper_bound (get_resize_output_image_size). */
export function longestEdgeSize(width: number, height: number, maxLen: number): Size {
  let w = width;
  let h = height;
  const ar = w / h;
  if (w >= h) {
    w = maxLen;
    h = Math.trunc(w / ar);
    if (h % 2 !== 0) h += 1;
  } else {
    h = maxLen;
    w = Math.trunc(h * ar);
    if (w % 2 !== 0) w += 1;
  }
  h = Math.max(h, 1);
  w = Math.max(w, 1);
  const ar2 = w / h;
  if (w >= h && w > IDEFICS3_MAX_SIDE) {
    w = IDEFICS3_MAX_SIDE;
    h = Math.trunc(w / ar2);
  } else if (h > w && h > IDEFICS3_MAX_SIDE) {
    h = IDEFICS3_MAX_SIDE;
    w = Math.trunc(h * ar2);
  }
  return { width: Math.max(w, 1), height: Math.max(h, 1) };
}

/** resize_for_vision_encoder: both sides up to multiples of the tile side. */
export function tileCanvasSize(width: number, height: number, tile: number): Size {
  const ar = width / height;
  let w = width;
  let h = height;
  if (w >= h) {
    w = Math.ceil(w / tile) * tile;
    h = Math.trunc(w / ar);
    h = Math.ceil(h / tile) * tile;
  } else {
    h = Math.ceil(h / tile) * tile;
    w = Math.trunc(h * ar);
    w = Math.ceil(w / tile) * tile;
  }
  return { width: w, height: h };
}

export function parseIdefics3(c: Record<string, unknown>, g: Record<string, unknown>, label: string, patchSize: number): Idefics3Config {
  const norm = normalizationOf(c, label);
  for (const k of ['do_resize', 'do_image_splitting', 'do_pad'] as const) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') throw packError(`${label}: "${k}" must be true or false, got ${JSON.stringify(c[k])}`);
  }
  let resize: Idefics3Config['resize'] = null;
  if (c.do_resize !== false) {
    const s = (c.size ?? { longest_edge: 4 * 364 }) as Record<string, unknown>;
    if (s && typeof s.longest_edge === 'number') resize = { longestEdge: positiveInt(s.longest_edge, label, 'size.longest_edge') };
    else if (s && typeof s.height === 'number' && typeof s.width === 'number') resize = { height: positiveInt(s.height, label, 'size.height'), width: positiveInt(s.width, label, 'size.width') };
    else throw packError(`${label}: Idefics3's "size" must be {"longest_edge": N} or {"height": H, "width": W} (the processor refuses anything else), got ${JSON.stringify(c.size)}`);
  }
  const mis = (c.max_image_size ?? { longest_edge: 364 }) as Record<string, unknown>;
  if (typeof mis !== 'object' || mis === null || typeof mis.longest_edge !== 'number' || Object.keys(mis).some((k) => k !== 'longest_edge')) {
    throw packError(`${label}: Idefics3's "max_image_size" must be {"longest_edge": N} (the side of every tile), got ${JSON.stringify(c.max_image_size)}`);
  }
  const tile = positiveInt(mis.longest_edge, label, 'max_image_size.longest_edge');
  const scaleFactor = positiveInt(g.scaleFactor, 'manifest.json /imageEncoder/geometry', 'scaleFactor');
  if (g.tileSize !== undefined && g.tileSize !== tile) {
    throw packError(`${label}: max_image_size.longest_edge is ${tile}, but the pack's tower and connector were exported for ${JSON.stringify(g.tileSize)} px tiles — run \`sea-lens pack init\` again`);
  }
  if (tile % patchSize || (tile / patchSize) % scaleFactor) {
    throw packError(`${label}: tiles of ${tile} px are not a whole number of ${scaleFactor} × ${scaleFactor} groups of ${patchSize}-px patches (the connector's pixel shuffle needs that)`);
  }
  // The fast processors (Idefics3ImageProcessorFast, SmolVLMImageProcessorFast) have no Lanczos: they use BICUBIC.
  const fast = typeof c.image_processor_type === 'string' && c.image_processor_type.endsWith('Fast');
  const k = kernelOf(c, label, 1);
  return { norm, patchSize, resize, split: c.do_image_splitting !== false, tile, scaleFactor, kernel: fast && k === 'lanczos3' ? 'cubic' : k };
}

export function idefics3Views(size: Size, cfg: Idefics3Config): ViewSpec[] {
  const ops: PixelOp[] = [];
  let { width: w, height: h } = size;
  const resize = (s: Size) => {
    ops.push({ op: 'resize', width: s.width, height: s.height, kernel: cfg.kernel });
    w = s.width;
    h = s.height;
  };
  if (cfg.resize) resize('longestEdge' in cfg.resize ? longestEdgeSize(w, h, cfg.resize.longestEdge) : cfg.resize);
  const T = cfg.tile;
  const of = `${size.width}×${size.height}`;
  if (!cfg.split) {
    const pre = [...ops];
    return [{ id: 'image', label: `image ${T}×${T} (${of} squashed)`, ops: [...pre, { op: 'resize', width: T, height: T, kernel: cfg.kernel }], width: T, height: T }];
  }
  const canvas = tileCanvasSize(w, h, T);
  // The processor's float arithmetic can round a side to 0 for an extreme aspect ratio; PIL then fails.
  if (canvas.width < 1 || canvas.height < 1) throw imageError(`${of}: Idefics3's processor cannot resize an image of this aspect ratio (its tile canvas comes out ${canvas.width}×${canvas.height})`);
  resize(canvas);
  if (w <= T && h <= T) return [{ id: 'image', label: `image ${T}×${T} (${of} resized)`, ops, width: T, height: T }];
  const rows = Math.ceil(h / T);
  const cols = Math.ceil(w / T);
  if (rows * cols + 1 > MAX_VIEWS) {
    throw imageError(`${of}: Idefics3 would cut it into ${rows}×${cols} tiles of ${T} px; SEA Lens shows at most ${MAX_VIEWS - 1} tiles — lower size.longest_edge in the pack's preprocessor_config.json or use a smaller image`);
  }
  // split_image: tiles of ceil(side / n), which is the tile side since the canvas is a multiple of it.
  const th = Math.ceil(h / rows);
  const tw = Math.ceil(w / cols);
  const views: ViewSpec[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = c * tw;
      const y = r * th;
      const cw = Math.min(x + tw, w) - x;
      const ch = Math.min(y + th, h) - y;
      views.push({ id: `tile-${r}-${c}`, label: `tile ${r + 1}, ${c + 1} of ${rows}×${cols}`, ops: [...ops, { op: 'crop', x, y, width: cw, height: ch }], width: cw, height: ch });
    }
  }
  views.push({ id: 'global', label: `global image ${T}×${T} (${of} squashed)`, ops: [...ops, { op: 'resize', width: T, height: T, kernel: cfg.kernel }], width: T, height: T });
  return views;
}

/** One token per scaleFactor × scaleFactor patches, row-major (the connector's pixel shuffle). */
export function shuffledGrid(view: ViewSpec, patchSize: number, scale: number, tokens: number, family: string) {
  const rows = view.height / patchSize / scale;
  const cols = view.width / patchSize / scale;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows * cols !== tokens) {
    throw packError(`${family}: the adapter returned ${tokens} tokens for the ${view.width}×${view.height} view "${view.id}"; pixel shuffle by ${scale} of ${patchSize}-px patches gives ${rows}×${cols}`);
  }
  return { rows, cols };
}

export const idefics3: ModelFamily<Idefics3Config> = {
  id: 'idefics3',
  title: 'Idefics3 / SmolVLM',
  parse: parseIdefics3,
  views: idefics3Views,
  viewGrid: (view, cfg, tokens) => shuffledGrid(view, cfg.patchSize, cfg.scaleFactor, tokens, 'Idefics3'),
};
