// Reading the fields every Hugging Face image processor shares (preprocessor_config.json): normalisation,
// resample kernel, sizes. Families read their own extra fields; these helpers keep the messages alike.
import { packError } from '../engineError';
import type { Normalization } from './family';
import type { Kernel } from './imageViews';

// PIL resample codes → libvips kernels. PIL's BICUBIC is Keys a = −0.5, libvips' `cubic` is Catmull-Rom
// (the same kernel); both widen the kernel when downscaling (antialias).
const RESAMPLE: Record<number, Kernel> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic', 4: 'linear', 5: 'cubic' };

export function kernelOf(c: Record<string, unknown>, label: string, fallback = 3): Kernel {
  const code = typeof c.resample === 'number' ? c.resample : fallback;
  const k = RESAMPLE[code];
  if (!k) throw packError(`${label}: unknown resample ${code} (PIL codes 0–5)`);
  return k;
}

function triple(c: Record<string, unknown>, k: string, label: string): [number, number, number] {
  let v = c[k];
  if (typeof v === 'number') v = [v, v, v];
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw packError(`${label}: "${k}" must be three numbers (R, G, B), got ${JSON.stringify(c[k])}`);
  }
  return v as [number, number, number];
}

export function normalizationOf(c: Record<string, unknown>, label: string): Normalization {
  const normalize = c.do_normalize !== false && (c.image_mean !== undefined || c.do_normalize === true);
  const mean = normalize ? triple(c, 'image_mean', label) : null;
  const std = normalize ? triple(c, 'image_std', label) : null;
  if (std && std.some((s) => s === 0)) throw packError(`${label}: image_std contains 0; every std must be non-zero (re-save the image processor's config)`);
  const rescale = c.do_rescale === false ? null : typeof c.rescale_factor === 'number' ? c.rescale_factor : 1 / 255;
  return { rescale, mean, std };
}

export type SizeSpec = { shortestEdge: number } | { height: number; width: number } | { longestEdge: number };

export function sizeOf(v: unknown, label: string, key = 'size'): SizeSpec {
  if (typeof v === 'number' && v > 0) return { shortestEdge: v };
  const s = v as Record<string, unknown> | undefined;
  if (s && typeof s.height === 'number' && typeof s.width === 'number') return { height: s.height, width: s.width };
  if (s && typeof s.shortest_edge === 'number') return { shortestEdge: s.shortest_edge };
  if (s && typeof s.longest_edge === 'number') return { longestEdge: s.longest_edge };
  throw packError(`${label}: "${key}" must be {"shortest_edge": N}, {"longest_edge": N} or {"height": H, "width": W}, got ${JSON.stringify(v)}`);
}

/** HF get_resize_output_image_size for a shortest edge (the long side is truncated, not rounded). */
export function shortestEdgeSize(w: number, h: number, s: number): { width: number; height: number } {
  return w <= h ? { width: s, height: Math.trunc((s * h) / w) } : { width: Math.trunc((s * w) / h), height: s };
}

export function positiveInt(v: unknown, label: string, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw packError(`${label}: ${what} must be a whole number ≥ 1, got ${JSON.stringify(v)}`);
  return v as number;
}
