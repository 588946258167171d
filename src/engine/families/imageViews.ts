// The pixel side of a family's views: decode the image once (EXIF orientation, alpha onto white, 8-bit
// sRGB), then for each view run its operations — resize (libvips, the PIL kernels), pad (a constant colour,
// as LLaVA's expand-to-square and LLaVA-NeXT's pad-for-patching do) and crop (tiles, centre crops) — and
// normalise into CHW float32. Views that share a prefix of operations (the tiles of one resized canvas)
// compute it once. Every view also gets the affine map from its input pixels back to the original image,
// which places each visual token's box.
import sharp from 'sharp';
import type { Box } from '../../shared/tokenMap';
import { imageError } from '../engineError';
import { decodeImage, type DecodedImage } from './decode';
import { pilResize, type PilFilter } from './pilResample';
import type { Normalization, ViewSpec } from './family';

export type Kernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

export type PixelOp =
  | { op: 'resize'; width: number; height: number; kernel: Kernel }
  /** Place the current image at (left, top) on a width × height canvas filled with `fill` (0–255 RGB). */
  | { op: 'pad'; width: number; height: number; left: number; top: number; fill: [number, number, number] }
  | { op: 'crop'; x: number; y: number; width: number; height: number };

interface Raster {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** input pixel (x, y) of a view ↦ original pixel (x0 + sx·x, y0 + sy·y). */
export interface Affine {
  x0: number;
  y0: number;
  sx: number;
  sy: number;
}

/** Composes the inverse of the view's operations: where each input pixel of the view comes from. */
export function viewAffine(ops: PixelOp[], source: { width: number; height: number }): Affine {
  let a: Affine = { x0: 0, y0: 0, sx: 1, sy: 1 };
  let w = source.width;
  let h = source.height;
  for (const o of ops) {
    if (o.op === 'resize') {
      a = { x0: a.x0, y0: a.y0, sx: (a.sx * w) / o.width, sy: (a.sy * h) / o.height };
      w = o.width;
      h = o.height;
    } else if (o.op === 'pad') {
      a = { x0: a.x0 - a.sx * o.left, y0: a.y0 - a.sy * o.top, sx: a.sx, sy: a.sy };
      w = o.width;
      h = o.height;
    } else {
      a = { x0: a.x0 + a.sx * o.x, y0: a.y0 + a.sy * o.y, sx: a.sx, sy: a.sy };
      w = o.width;
      h = o.height;
    }
  }
  return a;
}

/** A box in view-input pixels mapped to the original image and clipped to it; undefined when nothing is left (padding only). */
export function toImageBox(a: Affine, x: number, y: number, w: number, h: number, size: { width: number; height: number }): Box | undefined {
  const x1 = Math.max(0, a.x0 + a.sx * x);
  const y1 = Math.max(0, a.y0 + a.sy * y);
  const x2 = Math.min(size.width, a.x0 + a.sx * (x + w));
  const y2 = Math.min(size.height, a.y0 + a.sy * (y + h));
  // Less than a hundredth of a source pixel is rounding, not image.
  if (x2 - x1 < 1e-2 || y2 - y1 < 1e-2) return undefined;
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}

// libvips enlarges with its sample points half a source pixel away from PIL's (mean |Δ| 28–50 of 255 on noise
// images, 100×70 → 112…200 px); Hugging Face's processors resize with PIL, so enlargements use Pillow's own
// algorithm (pilResample.ts, bit-exact). Shrinking stays in libvips, which agrees with PIL to ~1/255 and is fast
// on large photos.
const PIL_FILTER: Partial<Record<Kernel, PilFilter>> = { linear: 'bilinear', cubic: 'bicubic', lanczos3: 'lanczos' };

async function resize(r: Raster, o: Extract<PixelOp, { op: 'resize' }>, name: string): Promise<Raster> {
  if (o.width === r.width && o.height === r.height) return r;
  const pil = PIL_FILTER[o.kernel];
  if (pil && (o.width > r.width || o.height > r.height)) {
    return { rgb: pilResize(r.rgb, r.width, r.height, o.width, o.height, pil), width: o.width, height: o.height };
  }
  try {
    const { data, info } = await sharp(r.rgb, { raw: { width: r.width, height: r.height, channels: 3 } })
      .resize(o.width, o.height, { fit: 'fill', kernel: o.kernel })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== o.width || info.height !== o.height || info.channels !== 3) throw new Error(`got ${info.width}×${info.height}×${info.channels}`);
    return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), width: o.width, height: o.height };
  } catch (e) {
    throw imageError(`${name}: resizing to ${o.width}×${o.height} failed (${(e as Error).message})`);
  }
}

function pad(r: Raster, o: Extract<PixelOp, { op: 'pad' }>): Raster {
  const out = new Uint8Array(o.width * o.height * 3);
  for (let i = 0; i < o.width * o.height; i++) out.set(o.fill, i * 3);
  for (let y = 0; y < r.height; y++) {
    const ty = y + o.top;
    if (ty < 0 || ty >= o.height) continue;
    const xs = Math.max(0, -o.left);
    const xe = Math.min(r.width, o.width - o.left);
    if (xe <= xs) continue;
    out.set(r.rgb.subarray((y * r.width + xs) * 3, (y * r.width + xe) * 3), (ty * o.width + xs + o.left) * 3);
  }
  return { rgb: out, width: o.width, height: o.height };
}

/** Crops; parts of the crop outside the raster are 0 (HF's centre crop pads that way). */
function crop(r: Raster, o: Extract<PixelOp, { op: 'crop' }>): Raster {
  if (o.x === 0 && o.y === 0 && o.width === r.width && o.height === r.height) return r;
  return pad(r, { op: 'pad', width: o.width, height: o.height, left: -o.x, top: -o.y, fill: [0, 0, 0] });
}

/** CHW float32, (v · rescale − mean) / std per channel. */
export function normalize(r: Raster, n: Normalization): Float32Array {
  const plane = r.width * r.height;
  const out = new Float32Array(3 * plane);
  const lut = new Float32Array(256);
  for (let c = 0; c < 3; c++) {
    const m = n.mean ? n.mean[c] : 0;
    const s = n.std ? n.std[c] : 1;
    const k = n.rescale ?? 1;
    for (let v = 0; v < 256; v++) lut[v] = (v * k - m) / s;
    for (let i = 0, src = c; i < plane; i++, src += 3) out[c * plane + i] = lut[r.rgb[src]];
  }
  return out;
}

export interface ViewPixels {
  spec: ViewSpec;
  /** CHW float32 at spec.height × spec.width. */
  pixels: Float32Array;
  affine: Affine;
}

export interface PreparedViews {
  image: DecodedImage;
  views: ViewPixels[];
}

/** Runs every view's operations on one decoded image, sharing common prefixes. */
export async function renderViews(file: string, specsFor: (size: { width: number; height: number }) => ViewSpec[], norm: Normalization): Promise<PreparedViews> {
  const image = await decodeImage(file, (size) => {
    // The pixel limit covers what the views will allocate too, not only the input.
    let px = 0;
    for (const v of specsFor(size)) for (const o of v.ops) if (o.op !== 'crop') px = Math.max(px, o.width * o.height);
    return px;
  });
  const specs = specsFor(image.size);
  const cache = new Map<string, Promise<Raster>>();
  const source: Raster = { rgb: image.rgb, width: image.size.width, height: image.size.height };
  const run = (ops: PixelOp[]): Promise<Raster> => {
    if (!ops.length) return Promise.resolve(source);
    const key = JSON.stringify(ops);
    let p = cache.get(key);
    if (!p) {
      const last = ops[ops.length - 1];
      p = run(ops.slice(0, -1)).then((r) => (last.op === 'resize' ? resize(r, last, image.name) : last.op === 'pad' ? pad(r, last) : crop(r, last)));
      cache.set(key, p);
    }
    return p;
  };
  const views: ViewPixels[] = [];
  for (const spec of specs) {
    const r = await run(spec.ops);
    if (r.width !== spec.width || r.height !== spec.height) throw imageError(`${image.name}: view "${spec.id}" came out ${r.width}×${r.height}, expected ${spec.width}×${spec.height}`);
    views.push({ spec, pixels: normalize(r, norm), affine: viewAffine(spec.ops, image.size) });
  }
  return { image, views };
}
