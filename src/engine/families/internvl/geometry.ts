// InternVL (transformers' InternVLForConditionalGeneration): GotOcr2ImageProcessor with crop_to_patches picks
// the columns × rows grid of size × size tiles (min_patches ≤ tiles ≤ max_patches) whose aspect ratio is closest
// to the image's, resizes the image to that canvas, cuts it row by row and, when there is more than one tile,
// adds a thumbnail (the whole image resized to one tile); without crop_to_patches the image is squashed to one
// tile. The projector pixel-shuffles scale × scale patches into one token; the prompt lists the views' tokens in
// the processor's order (tiles, then the thumbnail). The arithmetic below is the processor's, float for float.
import { packError } from '../../engineError';
import type { FamilyConfig, ModelFamily, ViewSpec } from '../family';
import { shuffledGrid } from '../idefics3/geometry';
import type { Kernel, PixelOp } from '../imageViews';
import { kernelOf, normalizationOf, positiveInt } from '../processorConfig';

/** A TokenMap holds at most 256 views: the tiles plus the thumbnail. */
const MAX_VIEWS = 256;

export interface InternVLConfig extends FamilyConfig {
  tile: number;
  crop: boolean;
  minPatches: number;
  maxPatches: number;
  scaleFactor: number;
  /** The resize of the single-view path (`resample`). */
  kernel: Kernel;
  /** The canvas and thumbnail resizes of crop_to_patches: the slow processor always uses BICUBIC there. */
  tileKernel: Kernel;
}

/** get_all_supported_aspect_ratios: (columns, rows) with min ≤ columns·rows ≤ max, by tile count (stable). */
export function tileArrangements(min: number, max: number): [number, number][] {
  const out: [number, number][] = [];
  for (let w = 1; w <= max; w++) for (let h = 1; h <= max; h++) if (w * h <= max && w * h >= min) out.push([w, h]);
  return out.sort((a, b) => a[0] * a[1] - b[0] * b[1]);
}

/** get_optimal_tiled_canvas: the (columns, rows) closest in aspect ratio; ties go to more tiles while the image is over half their area. */
export function optimalTiledCanvas(width: number, height: number, tileH: number, tileW: number, min: number, max: number): [number, number] {
  const aspect = width / height;
  const area = width * height;
  let best = Infinity;
  let grid: [number, number] = [1, 1];
  for (const g of tileArrangements(min, max)) {
    const diff = Math.abs(aspect - g[0] / g[1]);
    if (diff < best) {
      best = diff;
      grid = g;
    } else if (diff === best && area > 0.5 * tileH * tileW * g[0] * g[1]) {
      grid = g;
    }
  }
  return grid;
}

export function parseInternVL(json: Record<string, unknown>, g: Record<string, unknown>, label: string, patchSize: number): InternVLConfig {
  // InternVLProcessor passes its call defaults over the image processor's settings (crop_to_patches: true in
  // transformers 4.57, whatever preprocessor_config.json says); the exporter records them in the manifest.
  const calls = g.processorCallDefaults ?? {};
  if (typeof calls !== 'object' || calls === null || Array.isArray(calls)) throw packError(`manifest.json /imageEncoder/geometry/processorCallDefaults must be an object, got ${JSON.stringify(calls)}`);
  const c = { ...json, ...(calls as Record<string, unknown>) };
  const norm = normalizationOf(c, label);
  for (const k of ['do_resize', 'crop_to_patches'] as const) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') throw packError(`${label}: "${k}" must be true or false, got ${JSON.stringify(c[k])}`);
  }
  let size = c.size ?? { height: 384, width: 384 };
  if (typeof size === 'number') size = { height: size, width: size };
  const s = size as Record<string, unknown>;
  if (typeof s !== 'object' || s === null || typeof s.height !== 'number' || s.height !== s.width) {
    throw packError(`${label}: InternVL's "size" must be a square {"height": N, "width": N} (the side of every tile), got ${JSON.stringify(c.size)}`);
  }
  const tile = positiveInt(s.height, label, 'size.height');
  const crop = c.crop_to_patches === true;
  const minPatches = c.min_patches === undefined ? 1 : positiveInt(c.min_patches, label, 'min_patches');
  const maxPatches = c.max_patches === undefined ? 12 : positiveInt(c.max_patches, label, 'max_patches');
  if (crop && minPatches > maxPatches) throw packError(`${label}: min_patches ${minPatches} is more than max_patches ${maxPatches}; no tile grid fits`);
  if (crop && maxPatches + 1 > MAX_VIEWS) throw packError(`${label}: max_patches ${maxPatches} allows more tiles than the ${MAX_VIEWS - 1} SEA Lens shows; lower it in the pack's copy of this file`);
  if (c.do_resize === false && !(crop && maxPatches > 1)) throw packError(`${label}: do_resize is false, so views would keep the image's own size; InternVL's tower needs ${tile}×${tile} views`);
  const scaleFactor = positiveInt(g.scaleFactor, 'manifest.json /imageEncoder/geometry', 'scaleFactor');
  if (g.tileSize !== undefined && g.tileSize !== tile) {
    throw packError(`${label}: size is ${tile}×${tile}, but the pack's tower and projector were exported for ${JSON.stringify(g.tileSize)} px tiles — run \`sea-lens pack init\` again`);
  }
  if (tile % patchSize || (tile / patchSize) % scaleFactor) {
    throw packError(`${label}: tiles of ${tile} px are not a whole number of ${scaleFactor} × ${scaleFactor} groups of ${patchSize}-px patches (the pixel shuffle needs that)`);
  }
  const kernel = kernelOf(c, label, 3);
  // GotOcr2ImageProcessor (slow) resizes the canvas and thumbnail with its resize()'s default, BICUBIC; the
  // fast one passes `resample` through.
  const fast = typeof c.image_processor_type === 'string' && c.image_processor_type.endsWith('Fast');
  return { norm, patchSize, tile, crop, minPatches, maxPatches, scaleFactor, kernel, tileKernel: fast ? kernel : 'cubic' };
}

export function internVLViews(size: { width: number; height: number }, cfg: InternVLConfig): ViewSpec[] {
  const T = cfg.tile;
  const of = `${size.width}×${size.height}`;
  if (!cfg.crop || cfg.maxPatches <= 1) {
    return [{ id: 'image', label: `image ${T}×${T} (${of} squashed)`, ops: [{ op: 'resize', width: T, height: T, kernel: cfg.kernel }], width: T, height: T }];
  }
  const [cols, rows] = optimalTiledCanvas(size.width, size.height, T, T, cfg.minPatches, cfg.maxPatches);
  const canvas: PixelOp = { op: 'resize', width: T * cols, height: T * rows, kernel: cfg.tileKernel };
  const views: ViewSpec[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      views.push({ id: `tile-${r}-${c}`, label: `tile ${r + 1}, ${c + 1} of ${rows}×${cols}`, ops: [canvas, { op: 'crop', x: c * T, y: r * T, width: T, height: T }], width: T, height: T });
    }
  }
  if (views.length === 1) return [{ ...views[0], id: 'image', label: `image ${T}×${T} (${of} squashed)` }];
  views.push({ id: 'thumbnail', label: `thumbnail ${T}×${T} (${of} squashed)`, ops: [{ op: 'resize', width: T, height: T, kernel: cfg.tileKernel }], width: T, height: T });
  return views;
}

export const internvl: ModelFamily<InternVLConfig> = {
  id: 'internvl',
  title: 'InternVL',
  parse: parseInternVL,
  views: internVLViews,
  viewGrid: (view, cfg, tokens) => shuffledGrid(view, cfg.patchSize, cfg.scaleFactor, tokens, 'InternVL'),
};
