// Qwen2-VL and Qwen2.5-VL: Qwen2VLImageProcessor resizes the whole image to the nearest multiples of
// patch_size × merge_size (28 px) whose area lies within min_pixels…max_pixels (smart_resize), then cuts it into
// 14 × 14 patches listed 2 × 2 merge window by merge window. The tower (exported without its merger) reads those
// patches plus what its graph cannot derive from shapes: each patch's (row, col) for the 2-D rotary embedding and,
// for Qwen2.5-VL, its attention window. The adapter is the PatchMerger, one token per 28 × 28 px block.
import type * as ort from 'onnxruntime-node';
import { badInput, imageError, packError } from '../../engineError';
import type { FamilyConfig, ModelFamily, ViewSpec } from '../family';
import type { Kernel, PixelOp } from '../imageViews';
import { kernelOf, normalizationOf } from '../processorConfig';

export interface Qwen2VlConfig extends FamilyConfig {
  minPixels: number;
  maxPixels: number;
  mergeSize: number;
  temporalPatchSize: number;
  resize: boolean;
  kernel: Kernel;
  /** Qwen2.5-VL: the side of an attention window in merge units (window_size / merge / patch); null: full attention. */
  windowMergeUnits: number | null;
}

/** The limit smart_resize puts on max(h, w) / min(h, w). */
export const MAX_ASPECT_RATIO = 200;

/** Python's round(): halves go to the even neighbour (round(2.5) == 2), unlike Math.round. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * transformers' qwen2_vl smart_resize, operation for operation (same doubles, same rounding): both sides
 * multiples of `factor`, area within [minPixels, maxPixels] where the rounding allows, aspect kept.
 */
export function smartResize(height: number, width: number, factor: number, minPixels: number, maxPixels: number): { height: number; width: number } {
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > MAX_ASPECT_RATIO) {
    throw imageError(`${width}×${height} px: the aspect ratio ${ratio.toFixed(1)}:1 is over Qwen2-VL's limit of ${MAX_ASPECT_RATIO}:1 (its image processor refuses such images); crop the image so its long side is at most ${MAX_ASPECT_RATIO} × its short side`);
  }
  let hBar = roundHalfEven(height / factor) * factor;
  let wBar = roundHalfEven(width / factor) * factor;
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    hBar = Math.max(factor, Math.floor(height / beta / factor) * factor);
    wBar = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = Math.ceil((height * beta) / factor) * factor;
    wBar = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: hBar, width: wBar };
}

function positive(v: unknown, label: string, what: string, integer: boolean): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v));
  if (!ok) throw packError(`${label}: ${what} must be a ${integer ? 'whole number ≥ 1' : 'positive number'}, got ${JSON.stringify(v)}`);
  return v as number;
}

/** Reads preprocessor_config.json the way Qwen2VLImageProcessor(Fast) does: min_pixels / max_pixels win over size. */
export function parseQwen2Vl(c: Record<string, unknown>, g: Record<string, unknown>, label: string, patchSize: number): Qwen2VlConfig {
  const size = c.size as Record<string, unknown> | undefined;
  if (size !== undefined && (typeof size !== 'object' || size === null || !('shortest_edge' in size) || !('longest_edge' in size))) {
    throw packError(`${label}: "size" must hold "shortest_edge" and "longest_edge" (minimum and maximum pixel counts), as Qwen2VLImageProcessor requires; got ${JSON.stringify(size)}`);
  }
  const minPixels = positive(c.min_pixels ?? size?.shortest_edge ?? 56 * 56, label, 'min_pixels', false);
  const maxPixels = positive(c.max_pixels ?? size?.longest_edge ?? 28 * 28 * 1280, label, 'max_pixels', false);
  if (minPixels > maxPixels) throw packError(`${label}: min_pixels ${minPixels} is larger than max_pixels ${maxPixels}`);
  const p = positive(c.patch_size ?? 14, label, 'patch_size', true);
  const mergeSize = positive(c.merge_size ?? 2, label, 'merge_size', true);
  const temporalPatchSize = positive(c.temporal_patch_size ?? 2, label, 'temporal_patch_size', true);
  // The pack's geometry records the sizes the exported tower was built for; an edited processor file must agree.
  const tower: Record<string, number> = { patchSize: p, mergeSize, temporalPatchSize };
  for (const [k, v] of Object.entries(tower)) {
    if (g[k] !== undefined && g[k] !== v) throw packError(`${label}: ${k} ${v} differs from the exported tower's ${JSON.stringify(g[k])} (manifest.json /imageEncoder/geometry/${k}); run \`sea-lens pack init\` again or restore the file`);
  }
  if (p !== patchSize) throw packError(`${label}: patch_size ${p} differs from manifest.json /imageEncoder/patchSize ${patchSize}`);
  const w = g.windowMergeUnits;
  if (w !== undefined && w !== null && !(Number.isInteger(w) && (w as number) >= 1)) {
    throw packError(`manifest.json: /imageEncoder/geometry/windowMergeUnits must be a whole number ≥ 1 or null, got ${JSON.stringify(w)}`);
  }
  return {
    norm: normalizationOf(c, label), patchSize: p, minPixels, maxPixels, mergeSize, temporalPatchSize,
    resize: c.do_resize !== false, kernel: kernelOf(c, label), windowMergeUnits: (w as number | undefined) ?? null,
  };
}

export function qwen2VlViews(size: { width: number; height: number }, cfg: Qwen2VlConfig): ViewSpec[] {
  const factor = cfg.patchSize * cfg.mergeSize;
  if (!cfg.resize) {
    if (size.width % factor || size.height % factor) {
      throw imageError(`${size.width}×${size.height} px: the processor's do_resize is off, so both sides must be multiples of ${factor} px (patch ${cfg.patchSize} × merge ${cfg.mergeSize}); resize or crop the image, or set "do_resize": true`);
    }
    return [{ id: 'image', label: `model input ${size.width}×${size.height} (not resized)`, ops: [], width: size.width, height: size.height }];
  }
  const r = smartResize(size.height, size.width, factor, cfg.minPixels, cfg.maxPixels);
  const ops: PixelOp[] = [{ op: 'resize', width: r.width, height: r.height, kernel: cfg.kernel }];
  const how = r.width === size.width && r.height === size.height ? 'not resized' : `resized from ${size.width}×${size.height}`;
  return [{ id: 'image', label: `model input ${r.width}×${r.height} (${how}; ${factor} px multiples, ${cfg.minPixels}–${cfg.maxPixels} px)`, ops, width: r.width, height: r.height }];
}

export interface PatchFeeds {
  /** [N, 3·T·p·p] in the image processor's order. */
  patches: Float32Array;
  /** [N, 2] (row, col) of each patch. */
  pos: BigInt64Array;
  /** [N] attention window of each patch (Qwen2.5-VL). */
  windows: BigInt64Array;
  count: number;
  width: number;
}

/**
 * Qwen2VLImageProcessor's patchify of one CHW image: the frame repeated temporal_patch_size times, patches
 * ordered (merge row, merge col, row in window, col in window), each flattened (channel, time, y, x).
 */
export function patchify(pixels: Float32Array, width: number, height: number, cfg: Qwen2VlConfig): PatchFeeds {
  const p = cfg.patchSize;
  const m = cfg.mergeSize;
  const T = cfg.temporalPatchSize;
  const gh = height / p;
  const gw = width / p;
  if (!Number.isInteger(gh / m) || !Number.isInteger(gw / m)) throw badInput(`a ${width}×${height} view is not a whole number of ${p * m} px merge windows`);
  const K = 3 * T * p * p;
  const count = gh * gw;
  const patches = new Float32Array(count * K);
  const pos = new BigInt64Array(count * 2);
  const windows = new BigInt64Array(count);
  const wu = cfg.windowMergeUnits ?? 1;
  const windowsAcross = Math.ceil(gw / m / wu);
  const plane = width * height;
  let row = 0;
  for (let bh = 0; bh < gh / m; bh++) {
    for (let bw = 0; bw < gw / m; bw++) {
      const win = BigInt(Math.floor(bh / wu) * windowsAcross + Math.floor(bw / wu));
      for (let mh = 0; mh < m; mh++) {
        for (let mw = 0; mw < m; mw++) {
          const r = bh * m + mh;
          const c = bw * m + mw;
          pos[row * 2] = BigInt(r);
          pos[row * 2 + 1] = BigInt(c);
          windows[row] = win;
          let dst = row * K;
          for (let ch = 0; ch < 3; ch++) {
            for (let t = 0; t < T; t++) {
              for (let y = 0; y < p; y++, dst += p) {
                const src = ch * plane + (r * p + y) * width + c * p;
                patches.set(pixels.subarray(src, src + p), dst);
              }
            }
          }
          row++;
        }
      }
    }
  }
  return { patches, pos, windows, count, width: K };
}

export const qwen2Vl: ModelFamily<Qwen2VlConfig> = {
  id: 'qwen2-vl',
  title: 'Qwen2-VL / Qwen2.5-VL',
  parse: parseQwen2Vl,
  views: qwen2VlViews,
  encoderFeeds(pixels: Float32Array, view: ViewSpec, cfg: Qwen2VlConfig, input: string, ortModule: typeof ort) {
    const f = patchify(pixels, view.width, view.height, cfg);
    const feeds: Record<string, ort.Tensor> = {
      [input]: new ortModule.Tensor('float32', f.patches, [f.count, f.width]),
      pos_ids: new ortModule.Tensor('int64', f.pos, [f.count, 2]),
    };
    if (cfg.windowMergeUnits !== null) feeds.window_ids = new ortModule.Tensor('int64', f.windows, [f.count]);
    return feeds;
  },
  viewGrid(view, cfg, tokens) {
    const side = cfg.patchSize * cfg.mergeSize;
    const rows = view.height / side;
    const cols = view.width / side;
    if (rows * cols !== tokens) throw badInput(`Qwen2-VL: the adapter returned ${tokens} tokens for a ${view.width}×${view.height} view; the merger gives one per ${side} × ${side} px block, ${rows}×${cols} = ${rows * cols}`);
    return { rows, cols };
  },
};
