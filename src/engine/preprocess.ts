// Image → NCHW float32, exactly as a Hugging Face CLIP/SigLIP image processor would do it: EXIF orientation,
// alpha flattened onto white (what an image viewer shows; HF's convert_rgb behaviour differs by version),
// any colour space/bit depth → 8-bit sRGB, resize (shortest_edge keeping aspect, or exact height×width),
// centre crop, rescale, normalise. Resizing is done by libvips (sharp); the crop and the arithmetic in JS
// so they match the reference bit for bit.
import sharp, { type OutputInfo } from 'sharp';
import { LIMITS } from '../shared/mediaLimits';
import { imageError, packError } from './engineError';
import { openImage } from './openImage';

export interface PreprocessorConfig {
  resize: { kind: 'shortest_edge'; shortestEdge: number } | { kind: 'exact'; height: number; width: number } | null;
  resample: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
  crop: { height: number; width: number } | null;
  rescale: number | null;
  mean: [number, number, number] | null;
  std: [number, number, number] | null;
}

export interface PreprocessedImage {
  /** NCHW, N = 1. */
  pixels: Float32Array;
  height: number;
  width: number;
  imageSize: { width: number; height: number };
  region: { x: number; y: number; width: number; height: number };
  notes: string[];
}

/** Decompression-bomb guard: images (and resize targets) with more pixels than this are refused before decoding. */
export const DEFAULT_MAX_PIXELS: number = LIMITS.maxPixels;

// PIL resample codes used in preprocessor_config.json → libvips kernels. PIL's BICUBIC is Keys a = −0.5,
// libvips' `cubic` is Catmull-Rom (the same kernel); both widen the kernel when downscaling (antialias).
const RESAMPLE: Record<number, PreprocessorConfig['resample']> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic', 4: 'linear', 5: 'cubic' };

export function parsePreprocessorConfig(json: unknown, label: string): PreprocessorConfig {
  const c = json as Record<string, unknown>;
  if (typeof c !== 'object' || c === null) throw packError(`${label}: not a JSON object`);
  const size = c.size as Record<string, number> | number | undefined;
  let resize: PreprocessorConfig['resize'] = null;
  if (c.do_resize !== false && size !== undefined) {
    if (typeof size === 'number') resize = { kind: 'shortest_edge', shortestEdge: size };
    else if (typeof size.shortest_edge === 'number') resize = { kind: 'shortest_edge', shortestEdge: size.shortest_edge };
    else if (typeof size.height === 'number' && typeof size.width === 'number') resize = { kind: 'exact', height: size.height, width: size.width };
    else throw packError(`${label}: "size" must be {"shortest_edge": N} or {"height": H, "width": W}, got ${JSON.stringify(size)}`);
  }
  let crop: PreprocessorConfig['crop'] = null;
  if (c.do_center_crop === true || (c.do_center_crop === undefined && c.crop_size !== undefined)) {
    const cs = c.crop_size as Record<string, number> | number | undefined;
    if (typeof cs === 'number') crop = { height: cs, width: cs };
    else if (cs && typeof cs.height === 'number' && typeof cs.width === 'number') crop = { height: cs.height, width: cs.width };
    else throw packError(`${label}: do_center_crop is set but crop_size is ${JSON.stringify(cs)}; expected {"height": H, "width": W}`);
  }
  const triple = (k: string): [number, number, number] => {
    const v = c[k];
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw packError(`${label}: "${k}" must be three numbers (R, G, B), got ${JSON.stringify(v)}`);
    }
    return v as [number, number, number];
  };
  const normalize = c.do_normalize !== false && (c.image_mean !== undefined || c.do_normalize === true);
  const mean = normalize ? triple('image_mean') : null;
  const std = normalize ? triple('image_std') : null;
  if (std && std.some((s) => s === 0)) throw packError(`${label}: image_std contains 0; every std must be non-zero (re-save the image processor's config)`);
  const resampleCode = typeof c.resample === 'number' ? c.resample : 3;
  const resample = RESAMPLE[resampleCode];
  if (!resample) throw packError(`${label}: unknown resample ${resampleCode} (PIL codes 0–5)`);
  const rescale = c.do_rescale === false ? null : typeof c.rescale_factor === 'number' ? c.rescale_factor : 1 / 255;
  return { resize, resample, crop, rescale, mean, std };
}

/** Output size of the resize step, the HF way (the long side is truncated, not rounded). */
export function resizedSize(cfg: PreprocessorConfig, w: number, h: number): { width: number; height: number } {
  if (!cfg.resize) return { width: w, height: h };
  if (cfg.resize.kind === 'exact') return { width: cfg.resize.width, height: cfg.resize.height };
  const s = cfg.resize.shortestEdge;
  return w <= h ? { width: s, height: Math.trunc((s * h) / w) } : { width: Math.trunc((s * w) / h), height: s };
}

export async function preprocessImage(file: string, cfg: PreprocessorConfig, maxPixels = DEFAULT_MAX_PIXELS): Promise<PreprocessedImage> {
  const { name, bytes, open, meta, size: src, notes } = await openImage(file, maxPixels);
  const rs = resizedSize(cfg, src.width, src.height);
  // The resize target is what gets allocated: a 1×100000 PNG passes the check above but, resized to a
  // 224-pixel shortest edge, would be 224×22,400,000 pixels (15 GB of RGB).
  if (rs.width * rs.height > maxPixels) {
    throw imageError(`${name}: ${src.width}×${src.height} pixels resizes to ${rs.width}×${rs.height} for this model, more than the limit of ${maxPixels} pixels; crop the image to a less extreme aspect ratio first`);
  }
  let raw: { data: Buffer; info: OutputInfo };
  try {
    // Each step only when the image needs it: an 8-bit sRGB image without alpha or EXIF rotation, already at
    // the target size, decodes straight to raw bytes (the same bytes; the steps are identities there).
    let p = open();
    if ((meta.orientation ?? 1) > 1) p = p.rotate();
    if (meta.hasAlpha !== false) p = p.flatten({ background: '#ffffff' });
    if (meta.space !== 'srgb' || meta.channels !== 3 || meta.hasProfile !== false) p = p.toColourspace('srgb');
    if (cfg.resize && (rs.width !== src.width || rs.height !== src.height)) p = p.resize(rs.width, rs.height, { fit: 'fill', kernel: cfg.resample });
    raw = await p.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw await corruptImageError(name, bytes, e as Error);
  }
  const { data, info } = raw;
  if (info.channels !== 3 || info.width !== rs.width || info.height !== rs.height || data.length !== rs.width * rs.height * 3) {
    throw imageError(`${name}: decoder returned ${info.width}×${info.height}×${info.channels} bytes=${data.length}, expected ${rs.width}×${rs.height}×3`);
  }
  const ch = cfg.crop?.height ?? rs.height;
  const cw = cfg.crop?.width ?? rs.width;
  const out = normalizeCrop(new Uint8Array(data.buffer, data.byteOffset, data.length), rs.width, rs.height, cw, ch, cfg);
  const sx = src.width / rs.width;
  const sy = src.height / rs.height;
  return {
    pixels: out.pixels,
    height: ch,
    width: cw,
    imageSize: src,
    region: { x: out.left * sx, y: out.top * sy, width: cw * sx, height: ch * sy },
    notes,
  };
}

/**
 * A decode failure, said plainly. With failOn 'error' libvips reports some damage (a PNG chunk with a bad
 * CRC) only as "Unknown error"; decoding once more with failOn 'warning' surfaces libpng's own words
 * ("IHDR: CRC error"), which go into the message.
 */
export async function corruptImageError(name: string, bytes: Buffer, e: Error) {
  let reason = e.message.trim();
  if (!reason || /^unknown error$/i.test(reason)) {
    reason = await sharp(bytes, { failOn: 'warning', pages: 1, page: 0 }).raw().toBuffer().then(
      () => 'the decoder gave no reason',
      (w: Error) => w.message.replace(/^Warning treated as error due to failOn setting\s*/i, '').trim() || 'the decoder gave no reason');
  }
  return imageError(`${name}: the image file is corrupt or truncated (${reason.replace(/\s*\n\s*/g, '; ')}); re-export or re-download it`);
}

/**
 * Centre crop (HF rule: offset = floor((size − crop) / 2); crops larger than the image are zero-padded, as
 * HF pads) + rescale + normalise into NCHW float32.
 */
export function normalizeCrop(rgb: Uint8Array, w: number, h: number, cw: number, ch: number, cfg: PreprocessorConfig) {
  const top = Math.floor((h - ch) / 2);
  const left = Math.floor((w - cw) / 2);
  const pixels = new Float32Array(3 * ch * cw);
  const rescale = cfg.rescale ?? 1;
  const plane = ch * cw;
  // Inside the image: x range [x0, x1) needs no bounds check; outside stays 0 → (0 − m)/s, as HF pads.
  const x0 = Math.max(0, -left);
  const x1 = Math.min(cw, w - left);
  const lut = new Float32Array(256);
  for (let c = 0; c < 3; c++) {
    const m = cfg.mean ? cfg.mean[c] : 0;
    const s = cfg.std ? cfg.std[c] : 1;
    // A byte has 256 values: computing each once (same arithmetic as per pixel) makes the loop a lookup.
    for (let v = 0; v < 256; v++) lut[v] = (v * rescale - m) / s;
    const pad = (0 - m) / s;
    for (let y = 0; y < ch; y++) {
      const sy = y + top;
      const row = c * plane + y * cw;
      if (sy < 0 || sy >= h) {
        pixels.fill(pad, row, row + cw);
        continue;
      }
      if (x0 > 0) pixels.fill(pad, row, row + x0);
      if (x1 < cw) pixels.fill(pad, row + Math.max(x1, 0), row + cw);
      let src = (sy * w + x0 + left) * 3 + c;
      for (let x = x0; x < x1; x++, src += 3) pixels[row + x] = lut[rgb[src]];
    }
  }
  return { pixels, top, left };
}
