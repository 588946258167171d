// LLaVA-NeXT "anyres" (LlavaNextImageProcessor + LlavaNextModel.pack_image_features, transformers 4.57):
// the processor picks the best resolution from image_grid_pinpoints (select_best_resolution), resizes the
// image keeping its aspect to fit it (get_patch_output_size), pads it centred with black (_pad_for_patching)
// and cuts it into crop-size tiles; the base view is the whole image squashed to the shortest-edge size.
// Every view then goes through the CLIP steps (_preprocess: shortest-edge resize, centre crop). The model
// puts the base tokens first, then the tiles' tokens as one combined grid, unpadded (unpad_image: the rows or
// columns that only cover the padding are dropped, by the model's own rounding) with image_newline after
// every row. Every formula below is the one in those files, in the same order of float operations.
import { packError } from '../../engineError';
import type { FamilyConfig, LayoutEntry, ModelFamily, ViewSpec } from '../family';
import type { Kernel, PixelOp } from '../imageViews';
import { kernelOf, normalizationOf, positiveInt, shortestEdgeSize, sizeOf, type SizeSpec } from '../processorConfig';
import { resizeAndCrop } from '../llava/geometry';

export interface LlavaNextConfig extends FamilyConfig {
  /** [height, width] candidates, as the processor lists them. */
  pinpoints: [number, number][];
  /** Side of a tile cut from the padded canvas (crop_size.height). */
  tile: number;
  /** The base view's first resize (size shortest_edge × shortest_edge, or min(h, w) squared). */
  base: { width: number; height: number };
  /** _preprocess's resize and centre crop, applied to every view. */
  resize: SizeSpec | null;
  crop: { height: number; width: number } | null;
  kernel: Kernel;
}

// LlavaNextImageProcessor's defaults, used when preprocessor_config.json leaves a field out.
const DEFAULT_PINPOINTS: [number, number][] = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]];

function pinpointsOf(v: unknown, label: string, where: string): [number, number][] {
  const ok = Array.isArray(v) && v.length > 0 && v.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => Number.isInteger(x) && x >= 1));
  if (!ok) throw packError(`${label}: ${where} must be a non-empty list of [height, width] pairs of whole numbers, got ${JSON.stringify(v)}`);
  return (v as number[][]).map((p) => [p[0], p[1]]);
}

/** Square side s through _preprocess (resize, then centre crop). */
function afterPreprocess(w: number, h: number, cfg: Pick<LlavaNextConfig, 'resize' | 'crop'>): { width: number; height: number } {
  let out = { width: w, height: h };
  if (cfg.resize) out = 'shortestEdge' in cfg.resize ? shortestEdgeSize(w, h, cfg.resize.shortestEdge) : { width: (cfg.resize as { width: number }).width, height: (cfg.resize as { height: number }).height };
  if (cfg.crop) out = { width: cfg.crop.width, height: cfg.crop.height };
  return out;
}

export function parseLlavaNext(c: Record<string, unknown>, g: Record<string, unknown>, label: string, patchSize: number): LlavaNextConfig {
  const norm = normalizationOf(c, label);
  const pinpoints = c.image_grid_pinpoints === undefined ? DEFAULT_PINPOINTS : pinpointsOf(c.image_grid_pinpoints, label, '"image_grid_pinpoints"');
  if (g.image_grid_pinpoints !== undefined) {
    const model = pinpointsOf(g.image_grid_pinpoints, 'manifest.json', '/imageEncoder/geometry/image_grid_pinpoints');
    if (JSON.stringify(model) !== JSON.stringify(pinpoints)) {
      throw packError(`${label}: image_grid_pinpoints ${JSON.stringify(pinpoints)} differ from the model's (config.json) ${JSON.stringify(model)}; the model would misplace the tiles — use the checkpoint's own preprocessor_config.json`);
    }
  }
  const size = sizeOf(c.size ?? { shortest_edge: 224 }, label);
  if ('longestEdge' in size) throw packError(`${label}: "size" {"longest_edge"} is not a LLaVA-NeXT setting; it needs {"shortest_edge": N} or {"height": H, "width": W}`);
  const cs = sizeOf(c.crop_size ?? { height: 224, width: 224 }, label, 'crop_size');
  if ('longestEdge' in cs) throw packError(`${label}: crop_size must be {"height": H, "width": W}`);
  const crop = 'height' in cs ? { height: cs.height, width: cs.width } : { height: cs.shortestEdge, width: cs.shortestEdge };
  const tile = crop.height;
  const side = 'shortestEdge' in size ? size.shortestEdge : Math.min(size.height, size.width);
  const cfg: LlavaNextConfig = {
    norm, patchSize, pinpoints, tile, base: { width: side, height: side },
    resize: c.do_resize === false ? null : size, crop: c.do_center_crop === false ? null : crop, kernel: kernelOf(c, label),
  };
  for (const [h, w] of pinpoints) {
    // The processor would cut partial tiles at the edge, which the model's reshape into the tile grid cannot take.
    if (h % tile || w % tile) throw packError(`${label}: image_grid_pinpoints entry [${h}, ${w}] is not a multiple of the tile size ${tile} (crop_size); LLaVA-NeXT needs whole tiles`);
  }
  const tileOut = afterPreprocess(tile, tile, cfg);
  const baseOut = afterPreprocess(side, side, cfg);
  if (tileOut.width !== baseOut.width || tileOut.height !== baseOut.height) throw packError(`${label}: tiles come out ${tileOut.width}×${tileOut.height} but the base view ${baseOut.width}×${baseOut.height}; the vision tower needs one input size`);
  if (tileOut.width % patchSize || tileOut.height % patchSize) throw packError(`${label}: view size ${tileOut.width}×${tileOut.height} is not a multiple of the patch size ${patchSize}`);
  if (g.tileSize !== undefined) {
    const t = positiveInt(g.tileSize, 'manifest.json', '/imageEncoder/geometry/tileSize');
    if (tileOut.width !== t || tileOut.height !== t) throw packError(`${label}: views come out ${tileOut.width}×${tileOut.height}, but the model's vision tower takes ${t}×${t} (vision_config.image_size); use the checkpoint's own preprocessor_config.json`);
  }
  return cfg;
}

/** transformers' select_best_resolution: most effective pixels, then least waste. Returns [height, width]. */
export function selectBestResolution(size: { width: number; height: number }, pinpoints: [number, number][]): [number, number] {
  const { width: ow, height: oh } = size;
  let best = pinpoints[0];
  let maxEff = 0;
  let minWaste = Infinity;
  for (const [h, w] of pinpoints) {
    const scale = Math.min(w / ow, h / oh);
    const eff = Math.min(Math.trunc(ow * scale) * Math.trunc(oh * scale), ow * oh);
    const waste = w * h - eff;
    if (eff > maxEff || (eff === maxEff && waste < minWaste)) {
      maxEff = eff;
      minWaste = waste;
      best = [h, w];
    }
  }
  return best;
}

/** transformers' get_patch_output_size: the image resized to fit [h, w] keeping its aspect (ceil, capped). */
export function patchOutputSize(size: { width: number; height: number }, target: [number, number]): { width: number; height: number } {
  const [th, tw] = target;
  const sw = tw / size.width;
  const sh = th / size.height;
  return sw < sh ? { width: tw, height: Math.min(Math.ceil(size.height * sw), th) } : { width: Math.min(Math.ceil(size.width * sh), tw), height: th };
}

/** The canvas the tiles are cut from: the best resolution, where the resized image sits on it, the tile grid. */
export function anyresCanvas(size: { width: number; height: number }, cfg: Pick<LlavaNextConfig, 'pinpoints' | 'tile'>) {
  const [bh, bw] = selectBestResolution(size, cfg.pinpoints);
  const inner = patchOutputSize(size, [bh, bw]);
  return {
    width: bw, height: bh, inner,
    left: Math.floor((bw - inner.width) / 2), top: Math.floor((bh - inner.height) / 2),
    rows: Math.ceil(bh / cfg.tile), cols: Math.ceil(bw / cfg.tile),
  };
}

/** Python's int(round(x, 7)) for the non-negative values unpad_image rounds. */
const intRound7 = (x: number) => Math.trunc(Number(x.toFixed(7)));

/**
 * unpad_image on a rows × cols token grid of an image of `size`: the half-open row and column ranges kept.
 * Symmetric slicing, as the model does: an odd surplus keeps one padding row or column.
 */
export function unpadRange(size: { width: number; height: number }, rows: number, cols: number): { r0: number; r1: number; c0: number; c1: number } {
  const { width: ow, height: oh } = size;
  if (ow / oh > cols / rows) {
    const nh = intRound7(oh * (cols / ow));
    const p = Math.floor((rows - nh) / 2);
    return { r0: p, r1: rows - p, c0: 0, c1: cols };
  }
  const nw = intRound7(ow * (rows / oh));
  const p = Math.floor((cols - nw) / 2);
  return { r0: 0, r1: rows, c0: p, c1: cols - p };
}

function post(ops: PixelOp[], w: number, h: number, cfg: LlavaNextConfig): { ops: PixelOp[]; width: number; height: number } {
  const out = [...ops];
  const { width, height } = resizeAndCrop(out, w, h, cfg);
  return { ops: out, width, height };
}

export function llavaNextViews(size: { width: number; height: number }, cfg: LlavaNextConfig): ViewSpec[] {
  const cv = anyresCanvas(size, cfg);
  const base = post([{ op: 'resize', width: cfg.base.width, height: cfg.base.height, kernel: cfg.kernel }], cfg.base.width, cfg.base.height, cfg);
  const views: ViewSpec[] = [{ id: 'base', label: `base image ${base.width}×${base.height} (${size.width}×${size.height} ${size.width === size.height ? 'resized' : 'squashed'})`, ...base }];
  const canvas: PixelOp[] = [
    { op: 'resize', width: cv.inner.width, height: cv.inner.height, kernel: cfg.kernel },
    { op: 'pad', width: cv.width, height: cv.height, left: cv.left, top: cv.top, fill: [0, 0, 0] },
  ];
  for (let r = 0; r < cv.rows; r++) {
    for (let c = 0; c < cv.cols; c++) {
      const t = post([...canvas, { op: 'crop', x: c * cfg.tile, y: r * cfg.tile, width: cfg.tile, height: cfg.tile }], cfg.tile, cfg.tile, cfg);
      views.push({ id: `tile-${r}-${c}`, label: `tile ${r + 1}, ${c + 1} of ${cv.rows}×${cv.cols} (canvas ${cv.width}×${cv.height})`, ...t });
    }
  }
  return views;
}

/** Base tokens row-major; then the combined tile grid, unpadded, each row followed by image_newline. */
export function llavaNextLayout(views: ViewSpec[], grids: { rows: number; cols: number }[], cfg: LlavaNextConfig, size: { width: number; height: number }): LayoutEntry[] {
  const out: LayoutEntry[] = [];
  const g0 = grids[0];
  for (let i = 0; i < g0.rows * g0.cols; i++) out.push({ view: 0, index: i, row: Math.floor(i / g0.cols), col: i % g0.cols });
  const cv = anyresCanvas(size, cfg);
  if (views.length !== 1 + cv.rows * cv.cols) throw packError(`LLaVA-NeXT: ${views.length - 1} tiles for a ${cv.rows}×${cv.cols} tile grid`);
  const { rows: h, cols: w } = grids[1];
  const u = unpadRange(size, cv.rows * h, cv.cols * w);
  const tileOf = (R: number, C: number) => 1 + Math.floor(R / h) * cv.cols + Math.floor(C / w);
  for (let R = u.r0; R < u.r1; R++) {
    for (let C = u.c0; C < u.c1; C++) out.push({ view: tileOf(R, C), index: (R % h) * w + (C % w), row: R % h, col: C % w });
    // The newline ends a row of the combined grid; it is listed with the tile at that row's (kept) right end.
    const last = u.c1 > u.c0 ? u.c1 - 1 : Math.min(u.c0, cv.cols * w - 1);
    out.push({ view: tileOf(R, last), extra: 'newline', row: R % h, kind: 'newline' });
  }
  return out;
}

export const llavaNext: ModelFamily<LlavaNextConfig> = {
  id: 'llava-next',
  title: 'LLaVA-NeXT (anyres)',
  parse: parseLlavaNext,
  views: llavaNextViews,
  viewGrid: (view, cfg, tokens) => {
    // The model reshapes every view to vision image_size / patch_size square; no merging adapter exists here.
    const rows = view.height / cfg.patchSize;
    const cols = view.width / cfg.patchSize;
    if (rows * cols !== tokens) throw packError(`LLaVA-NeXT: the adapter returned ${tokens} tokens for view "${view.id}" (${view.width}×${view.height}, ${rows}×${cols} patches of ${cfg.patchSize} px); the model needs one token per patch`);
    return { rows, cols };
  },
  layout: llavaNextLayout,
  extras: ['newline'],
};
