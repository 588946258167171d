// The top word of each token as SVG text, only where it fits (src/shared/overlayLayout.ts fitLabel, the
// same arithmetic as the PNG export and the CLI's SVG) and only for boxes on screen: zoomed out over 2,880
// tokens most labels do not fit and are not created at all. Words are untrusted: text nodes only.

import { boxRect, fitLabel, type FitOptions, type Transform } from '../../src/shared/overlayLayout';
import type { Box, TokenMap } from '../../src/shared/tokenMap';

const SVG = 'http://www.w3.org/2000/svg';

export interface LabelInput {
  tm: TokenMap;
  boxes: readonly (Box | undefined)[];
  indices: readonly number[];
  t: Transform;
  width: number;
  height: number;
  fit: FitOptions;
  hits: Uint8Array | null;
}

/** Replaces the layer's labels; returns how many were drawn. */
export function renderLabels(layer: SVGGElement, p: LabelInput): number {
  const out: SVGTextElement[] = [];
  for (const i of p.indices) {
    const r = boxRect(p.boxes[i]!, p.t);
    if (r.x > p.width || r.y > p.height || r.x + r.width < 0 || r.y + r.height < 0) continue;
    const word = p.tm.patches[i].words[0]?.word ?? '';
    const f = fitLabel(word, r.width, r.height, p.fit);
    if (!f.visible) continue;
    const text = document.createElementNS(SVG, 'text');
    text.setAttribute('class', p.hits && !p.hits[i] ? 'sl-word sl-dim' : 'sl-word');
    text.setAttribute('data-index', String(i));
    text.setAttribute('x', (r.x + r.width / 2).toFixed(1));
    text.setAttribute('y', (r.y + r.height / 2).toFixed(1));
    text.setAttribute('font-size', f.fontPx.toFixed(1));
    text.textContent = f.text;
    out.push(text);
  }
  layer.replaceChildren(...out);
  return out.length;
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
