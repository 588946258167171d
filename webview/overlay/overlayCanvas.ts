// The token boxes drawn on a 2D canvas, one path per layer (grid lines, heat colours, highlight, dim,
// changed-token outlines), so that 2,880 tokens cost a few path operations instead of 2,880 SVG nodes.
// The screen and the PNG export both paint with this function.

import { boxRect, type Transform } from '../../src/shared/overlayLayout';
import type { Box } from '../../src/shared/tokenMap';

export interface Palette {
  grid: string;
  hitFill: string;
  hitStroke: string;
  dimFill: string;
  marked: string;
  /** Outside the region the model saw. */
  outside: string;
}

export const DEFAULT_PALETTE: Palette = {
  grid: 'rgba(255,255,255,0.35)', hitFill: 'rgba(255,200,0,0.35)', hitStroke: '#ffcc00', dimFill: 'rgba(0,0,0,0.35)',
  marked: '#f48771', outside: 'rgba(0,0,0,0.6)',
};

export interface CellPaint {
  boxes: readonly (Box | undefined)[];
  /** Tokens to draw (the current view's patches). */
  indices: readonly number[];
  t: Transform;
  width: number;
  height: number;
  /** Fill colour per token (heat or categories), undefined = none. */
  fills?: readonly (string | undefined)[];
  /** Heat opacity. */
  fillAlpha?: number;
  /** 1 = highlighted, 0 = dimmed; null when nothing is highlighted. */
  hits: Uint8Array | null;
  marked: readonly boolean[] | null;
  /** Image regions the model saw (view rects); the rest of the image is dimmed. */
  seen: readonly Box[];
  imageSize: { width: number; height: number };
  palette: Palette;
}

function rectPath(path: Path2D, b: Box, t: Transform, inset = 0): void {
  const r = boxRect(b, t);
  path.rect(r.x + inset, r.y + inset, Math.max(0, r.width - 2 * inset), Math.max(0, r.height - 2 * inset));
}

export function paintCells(ctx: CanvasRenderingContext2D, p: CellPaint): void {
  const { t, palette } = p;
  // Dim the image outside the model's input: a dark layer over the image, cut out where the views lie.
  const img = boxRect({ x: 0, y: 0, w: p.imageSize.width, h: p.imageSize.height }, t);
  ctx.fillStyle = palette.outside;
  ctx.fillRect(img.x, img.y, img.width, img.height);
  for (const s of p.seen) {
    const r = boxRect(s, t);
    ctx.clearRect(r.x, r.y, r.width, r.height);
  }
  // Only boxes that touch the canvas are drawn: a zoomed-in view paints a few dozen tokens.
  const vis = p.indices.filter((i) => {
    const r = boxRect(p.boxes[i]!, t);
    return r.x < p.width && r.y < p.height && r.x + r.width > 0 && r.y + r.height > 0;
  });
  if (p.fills) {
    const byColour = new Map<string, Path2D>();
    for (const i of vis) {
      const c = p.fills[i];
      if (!c) continue;
      let path = byColour.get(c);
      if (!path) byColour.set(c, (path = new Path2D()));
      rectPath(path, p.boxes[i]!, t);
    }
    ctx.globalAlpha = p.fillAlpha ?? 0.55;
    for (const [c, path] of byColour) {
      ctx.fillStyle = c;
      ctx.fill(path);
    }
    ctx.globalAlpha = 1;
  }
  const grid = new Path2D();
  const hit = new Path2D();
  const dim = new Path2D();
  const marked = new Path2D();
  for (const i of vis) {
    const b = p.boxes[i]!;
    rectPath(grid, b, t, 0.5);
    if (p.hits) rectPath(p.hits[i] ? hit : dim, b, t);
    if (p.marked?.[i]) rectPath(marked, b, t, 1);
  }
  ctx.lineWidth = 1;
  ctx.strokeStyle = palette.grid;
  ctx.stroke(grid);
  if (p.hits) {
    ctx.fillStyle = palette.dimFill;
    ctx.fill(dim);
    ctx.fillStyle = palette.hitFill;
    ctx.fill(hit);
    ctx.strokeStyle = palette.hitStroke;
    ctx.lineWidth = 2;
    ctx.stroke(hit);
  }
  if (p.marked) {
    ctx.strokeStyle = palette.marked;
    ctx.lineWidth = 2;
    ctx.setLineDash([4, 2]);
    ctx.stroke(marked);
    ctx.setLineDash([]);
  }
}
