// PNG export of what the overlay shows (the current view's tokens, highlight, heat or categories, changed
// outlines, the dimmed outside of the model's input), painted with the same canvas painter as the screen
// and labelled with the same fitting arithmetic. The long side is at least 512 px: small images (the demo
// pack's 96 px) are enlarged with square pixels, so that the labels are readable and the pixels honest;
// huge photos are capped at 2,048 px.

import type { Box, TokenMap } from '../../src/shared/tokenMap';
import type { FitOptions } from '../../src/shared/overlayLayout';
import { paintCells, type Palette } from './overlayCanvas';
import { paintLabels } from './overlayLabels';

export const MIN_EXPORT_SIDE = 512;
export const MAX_EXPORT_SIDE = 2048;

export interface ExportInput {
  tm: TokenMap;
  img: HTMLImageElement;
  imageUrl: string;
  fills: readonly (string | undefined)[] | undefined;
  hits: Uint8Array | null;
  marked: readonly boolean[] | null;
  fit: FitOptions;
  palette: Palette & { text: string; halo: string; family: string };
  indices: readonly number[];
  seen: readonly Box[];
}

/** The export scale: long side ≥ 512 px (enlarging), ≤ 2048 px (shrinking), else the image's own size. */
export function exportScale(size: { width: number; height: number }): number {
  const long = Math.max(size.width, size.height);
  if (long < MIN_EXPORT_SIDE) return MIN_EXPORT_SIDE / long;
  return Math.min(1, MAX_EXPORT_SIDE / long);
}

/** Loads the image as a bitmap; fetch keeps the canvas untainted where the webview serves the image. */
async function bitmapOf(input: ExportInput): Promise<CanvasImageSource> {
  try {
    const res = await fetch(input.imageUrl);
    if (res.ok) return await createImageBitmap(await res.blob());
  } catch {
    // fall through: draw the displayed <img>; toBlob reports a tainted canvas clearly below
  }
  return input.img;
}

export async function drawOverlayPng(input: ExportInput): Promise<Blob> {
  const { tm } = input;
  const src = tm.imageSize;
  const k = exportScale(src);
  const W = Math.round(src.width * k);
  const H = Math.round(src.height * k);
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('PNG export: this webview has no 2D canvas');
  ctx.imageSmoothingEnabled = k <= 1; // enlarged: square pixels, not a blur
  ctx.drawImage(await bitmapOf(input), 0, 0, W, H);
  // The overlay layers go on their own canvas so that the "outside" cut-outs do not erase the image.
  const layer = document.createElement('canvas');
  layer.width = W;
  layer.height = H;
  const lctx = layer.getContext('2d')!;
  const t = { k, x: 0, y: 0 };
  const boxes = tm.patches.map((p) => (p.kind === 'patch' ? p.box : undefined));
  paintCells(lctx, { boxes, indices: input.indices, t, width: W, height: H, fills: input.fills, hits: input.hits, marked: input.marked, seen: input.seen, imageSize: src, palette: input.palette });
  ctx.drawImage(layer, 0, 0);

  paintLabels(ctx, { tm, boxes, indices: input.indices, t, width: W, height: H, fit: input.fit, hits: input.hits, ...input.palette });
  return new Promise<Blob>((resolve, reject) => {
    try {
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG export: the canvas produced no data'))), 'image/png');
    } catch (e) {
      reject(new Error(`PNG export failed: ${(e as Error).message} (the image could not be read back from the webview)`));
    }
  });
}
