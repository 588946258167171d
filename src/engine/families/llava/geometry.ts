// LLaVA-1.5 (and any single-view CLIP/SigLIP-style model): the image processor optionally pads the image
// to a square with the mean colour (LlavaImageProcessor `do_pad`, the original LLaVA's
// `image_aspect_ratio: pad`), resizes (shortest edge, or exact height × width), centre-crops, normalises.
// One view; the adapter keeps one token per patch, or merges k × k patches into one (Gemma 3's pooling),
// which viewGrid infers from the token count. Boxes never cover the padding: they are clipped to the image.
import { packError } from '../../engineError';
import type { FamilyConfig, ModelFamily, ViewSpec } from '../family';
import type { Kernel, PixelOp } from '../imageViews';
import { kernelOf, normalizationOf, shortestEdgeSize, sizeOf, type SizeSpec } from '../processorConfig';

export interface SingleViewConfig extends FamilyConfig {
  padToSquare: boolean;
  padFill: [number, number, number];
  resize: SizeSpec | null;
  crop: { height: number; width: number } | null;
  kernel: Kernel;
}

export function parseSingleView(c: Record<string, unknown>, label: string, patchSize: number): SingleViewConfig {
  const norm = normalizationOf(c, label);
  const resize = c.do_resize === false || c.size === undefined ? null : sizeOf(c.size, label);
  if (resize && 'longestEdge' in resize) throw packError(`${label}: "size" {"longest_edge"} is not a single-view processor setting; this family needs shortest_edge or height × width`);
  let crop: SingleViewConfig['crop'] = null;
  if (c.do_center_crop === true || (c.do_center_crop === undefined && c.crop_size !== undefined)) {
    const cs = sizeOf(c.crop_size, label, 'crop_size');
    if ('height' in cs) crop = { height: cs.height, width: cs.width };
    else if ('shortestEdge' in cs) crop = { height: cs.shortestEdge, width: cs.shortestEdge };
    else throw packError(`${label}: crop_size must be {"height": H, "width": W}`);
  }
  const out = crop ?? (resize && 'height' in resize ? resize : null);
  if (!out) throw packError(`${label}: the input size is not fixed (set crop_size, or size {height, width}); this family needs a fixed input size`);
  if (out.height % patchSize || out.width % patchSize) throw packError(`${label}: input ${out.width}×${out.height} is not a multiple of the patch size ${patchSize}`);
  // LlavaImageProcessor pads with tuple(int(x * 255) for x in image_mean).
  const fill = (norm.mean ?? [0, 0, 0]).map((m) => Math.trunc(m * 255)) as [number, number, number];
  return { norm, patchSize, padToSquare: c.do_pad === true, padFill: fill, resize, crop, kernel: kernelOf(c, label) };
}

export function singleView(size: { width: number; height: number }, cfg: SingleViewConfig): ViewSpec[] {
  const ops: PixelOp[] = [];
  let { width: w, height: h } = size;
  if (cfg.padToSquare && w !== h) {
    const m = Math.max(w, h);
    ops.push({ op: 'pad', width: m, height: m, left: Math.floor((m - w) / 2), top: Math.floor((m - h) / 2), fill: cfg.padFill });
    w = h = m;
  }
  ({ width: w, height: h } = resizeAndCrop(ops, w, h, cfg));
  const what = [cfg.padToSquare && size.width !== size.height ? 'padded to a square' : '', cfg.crop ? 'centre crop' : 'resized'].filter(Boolean).join(', ');
  return [{ id: 'image', label: `model input ${w}×${h} (${what} of ${size.width}×${size.height})`, ops, width: w, height: h }];
}

/**
 * The CLIP-style tail of a view: resize (shortest edge, or exact) then centre crop (HF offsets), appended to
 * `ops`; returns the size that results. Shared by LLaVA-1.5 and every LLaVA-NeXT view.
 */
export function resizeAndCrop(
  ops: PixelOp[], w: number, h: number,
  cfg: { resize: SizeSpec | null; crop: { height: number; width: number } | null; kernel: Kernel },
): { width: number; height: number } {
  if (cfg.resize) {
    const r = 'shortestEdge' in cfg.resize ? shortestEdgeSize(w, h, cfg.resize.shortestEdge) : (cfg.resize as { width: number; height: number });
    ops.push({ op: 'resize', width: r.width, height: r.height, kernel: cfg.kernel });
    w = r.width;
    h = r.height;
  }
  if (cfg.crop) {
    ops.push({ op: 'crop', x: Math.floor((w - cfg.crop.width) / 2), y: Math.floor((h - cfg.crop.height) / 2), width: cfg.crop.width, height: cfg.crop.height });
    w = cfg.crop.width;
    h = cfg.crop.height;
  }
  return { width: w, height: h };
}

/** Tokens per view: one per patch, or one per k × k patches (pooling / merging adapters). */
export function singleViewGrid(view: ViewSpec, cfg: FamilyConfig, tokens: number, family: string) {
  const rows = view.height / cfg.patchSize;
  const cols = view.width / cfg.patchSize;
  for (let k = 1; k <= Math.min(rows, cols); k++) {
    if (rows % k === 0 && cols % k === 0 && (rows / k) * (cols / k) === tokens) return { rows: rows / k, cols: cols / k };
  }
  throw packError(`${family}: the adapter returned ${tokens} tokens for a ${view.width}×${view.height} view (${rows}×${cols} patches of ${cfg.patchSize} px); no k × k merge of that grid gives ${tokens}`);
}

export const llava: ModelFamily<SingleViewConfig> = {
  id: 'llava',
  title: 'LLaVA-1.5',
  parse: (c, _g, label, patchSize) => parseSingleView(c, label, patchSize),
  views: singleView,
  viewGrid: (view, cfg, tokens) => singleViewGrid(view, cfg, tokens, 'LLaVA-1.5'),
};
