// PNG export of what the overlay shows, drawn with the canvas 2D API from the same layout helpers as the
// SVG (serialising the SVG would lose the theme's CSS variables). The image is drawn at its source
// resolution, capped so that a huge photo does not produce a huge file.

import { interpolateViridis } from 'd3';
import type { TokenMap } from '../../src/shared/tokenMap';
import { fitLabel, gridRegion, haloFor, patchRects, type FitOptions, type HeatValues } from '../../src/shared/overlayLayout';

const MAX_EXPORT_SIDE = 2048;

export interface ExportInput {
  tm: TokenMap;
  img: HTMLImageElement;
  imageUrl: string;
  heat: HeatValues | undefined;
  highlighted: string | null;
  marked: boolean[] | null;
  fit: FitOptions;
  colours: CSSStyleDeclaration;
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
  const { tm, img } = input;
  const src = tm.imageSize ?? { width: img.naturalWidth, height: img.naturalHeight };
  const scale = Math.min(1, MAX_EXPORT_SIDE / Math.max(src.width, src.height));
  // Small images are drawn at least 512 px wide so that the labels stay readable in the file.
  const up = Math.max(scale, Math.min(4, 512 / src.width));
  const W = Math.round(src.width * up);
  const H = Math.round(src.height * up);
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('PNG export: this webview has no 2D canvas');
  ctx.drawImage(await bitmapOf(input), 0, 0, W, H);

  const rects = patchRects(tm.grid, gridRegion(tm, src), up);
  const text = input.colours.getPropertyValue('--vscode-editor-foreground').trim() || '#ffffff';
  const family = input.colours.fontFamily || 'sans-serif';
  ctx.lineJoin = 'round';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const measureEm = (t: string): number => {
    ctx.font = `600 100px ${family}`;
    return ctx.measureText(t).width / 100;
  };
  rects.forEach((r, i) => {
    const p = tm.patches[i];
    const top = p.words[0]?.word ?? '';
    const v = input.heat?.values[i];
    if (v !== undefined && !Number.isNaN(v)) {
      ctx.globalAlpha = 0.55;
      ctx.fillStyle = interpolateViridis(v);
      ctx.fillRect(r.x, r.y, r.width, r.height);
      ctx.globalAlpha = 1;
    }
    if (input.highlighted !== null) {
      ctx.fillStyle = top === input.highlighted ? 'rgba(255,200,0,0.35)' : 'rgba(0,0,0,0.35)';
      ctx.fillRect(r.x, r.y, r.width, r.height);
    }
    ctx.strokeStyle = input.marked?.[i] ? '#f48771' : 'rgba(255,255,255,0.35)';
    ctx.lineWidth = input.marked?.[i] ? 2 : 1;
    ctx.strokeRect(r.x + 0.5, r.y + 0.5, r.width - 1, r.height - 1);
    const f = fitLabel(top, r.width, r.height, { ...input.fit, measureEm });
    if (!f.visible) return;
    ctx.font = `600 ${f.fontPx}px ${family}`;
    ctx.globalAlpha = input.highlighted !== null && top !== input.highlighted ? 0.25 : 1;
    ctx.strokeStyle = haloFor(text);
    ctx.lineWidth = 3;
    ctx.strokeText(f.text, r.x + r.width / 2, r.y + r.height / 2);
    ctx.fillStyle = text;
    ctx.fillText(f.text, r.x + r.width / 2, r.y + r.height / 2);
    ctx.globalAlpha = 1;
  });
  return new Promise<Blob>((resolve, reject) => {
    try {
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG export: the canvas produced no data'))), 'image/png');
    } catch (e) {
      reject(new Error(`PNG export failed: ${(e as Error).message} (the image could not be read back from the webview)`));
    }
  });
}
