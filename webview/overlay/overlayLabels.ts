// The top word of each token, painted on the canvas only where it fits (src/shared/overlayLayout.ts
// fitLabel, the same arithmetic as the CLI's SVG) and only for boxes on screen. Canvas text, not SVG
// <text>: at 2,928 tokens a zoom step shows up to ~1,000 labels, which as SVG text took 100–350 ms to
// create and lay out (measured on the 2-core CI machine under load) and on the canvas a few ms.
// The screen and the PNG export both paint with this function.

import { boxRect, fitLabel, type FitOptions, type Transform } from '../../src/shared/overlayLayout';
import type { Box, TokenMap } from '../../src/shared/tokenMap';

export interface LabelPaint {
  tm: TokenMap;
  boxes: readonly (Box | undefined)[];
  indices: readonly number[];
  t: Transform;
  width: number;
  height: number;
  fit: FitOptions;
  /** 1 = highlighted, 0 = dimmed (drawn faint); null when nothing is highlighted. */
  hits: Uint8Array | null;
  text: string;
  halo: string;
  family: string;
}

/** Paints the labels that fit; returns how many were drawn. */
export function paintLabels(ctx: CanvasRenderingContext2D, p: LabelPaint): number {
  let drawn = 0;
  ctx.save();
  ctx.lineJoin = 'round';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.lineWidth = 3;
  ctx.strokeStyle = p.halo;
  ctx.fillStyle = p.text;
  for (const i of p.indices) {
    const r = boxRect(p.boxes[i]!, p.t);
    if (r.x >= p.width || r.y >= p.height || r.x + r.width <= 0 || r.y + r.height <= 0) continue;
    const word = p.tm.patches[i].words[0]?.word ?? '';
    const f = fitLabel(word, r.width, r.height, p.fit);
    if (!f.visible) continue;
    // Set for every label: fit.measureEm may measure on this same context at another size.
    ctx.font = `600 ${f.fontPx.toFixed(1)}px ${p.family}`;
    ctx.globalAlpha = p.hits && !p.hits[i] ? 0.25 : 1;
    const x = r.x + r.width / 2;
    const y = r.y + r.height / 2;
    ctx.strokeText(f.text, x, y);
    ctx.fillText(f.text, x, y);
    drawn++;
  }
  ctx.restore();
  return drawn;
}

/** Text widths measured with the real font (cached), for fitLabel's measureEm. */
export function createMeasurer(fontOf: () => string): (text: string) => number {
  const ctx = document.createElement('canvas').getContext('2d');
  const cache = new Map<string, number>();
  return (text) => {
    let w = cache.get(text);
    if (w === undefined) {
      if (ctx) {
        ctx.font = `600 100px ${fontOf() || 'sans-serif'}`;
        w = ctx.measureText(text).width / 100;
      } else w = [...text].length * 0.58;
      cache.set(text, w);
    }
    return w;
  };
}
