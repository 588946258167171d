// What the view switcher offers for a map. A multi-view map (LLaVA-NeXT's base image + tiles, Idefics3's
// tiles + global image) drawn all at once stacks boxes of several sizes on the same pixels, which reads as
// noise; each view is offered on its own, plus "all tiles" side by side where the map has tiles. Shared by the
// webview's overlay (its view switcher) and the CLI's SVG (which draws the default choice). Pure: no DOM.

import type { Box, TokenMap } from './tokenMap';

export interface ViewChoice {
  /** A view id, or `tiles` for all tile-* views together. */
  id: string;
  label: string;
  /** Indices into TokenMap.views shown by this choice. */
  tiles: number[];
  /** The part of the image the chosen views cover (their rects' bounding box). */
  rect: Box;
}

function union(rects: Box[]): Box {
  const x0 = Math.min(...rects.map((r) => r.x));
  const y0 = Math.min(...rects.map((r) => r.y));
  const x1 = Math.max(...rects.map((r) => r.x + r.w));
  const y1 = Math.max(...rects.map((r) => r.y + r.h));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** The choices in switcher order; `defaultChoice` says which one a map opens with. */
export function viewChoices(tm: TokenMap): ViewChoice[] {
  const out: ViewChoice[] = tm.views.map((v, i) => ({ id: v.id, label: v.label, tiles: [i], rect: v.rect }));
  const tiles = tm.views.flatMap((v, i) => (v.id.startsWith('tile') ? [i] : []));
  if (tiles.length >= 2) {
    const at = tiles[tiles.length - 1] + 1;
    out.splice(at, 0, { id: 'tiles', label: `all ${tiles.length} tiles`, tiles, rect: union(tiles.map((i) => tm.views[i].rect)) });
  }
  return out;
}

/** The combined tiles when there are any (the most detailed complete picture), else the first view. */
export function defaultChoice(choices: ViewChoice[]): ViewChoice {
  return choices.find((c) => c.id === 'tiles') ?? choices[0];
}

/** Token indices of the choice: `patch` tokens drawn on the image, and the others listed beside it. */
export function tokensOf(tm: TokenMap, choice: ViewChoice): { spatial: number[]; listed: number[] } {
  const inChoice = new Set(choice.tiles);
  const spatial: number[] = [];
  const listed: number[] = [];
  tm.patches.forEach((p, i) => {
    if (!inChoice.has(p.tile)) return;
    if (p.kind === 'patch' && p.box) spatial.push(i);
    else listed.push(i);
  });
  return { spatial, listed };
}

/**
 * The caption under the image: what the model saw — the chosen view's label (the engine writes it as "model
 * input 336×336 (centre crop of 4000×3000)") or the combined choice's — where that lies on the image, and
 * the pixel operations among the notes ("alpha → white": the engine writes those as "from → to").
 */
export function modelInputCaption(tm: TokenMap, choice: ViewChoice): string {
  const what = choice.tiles.length > 1 ? choice.label : tm.views[choice.tiles[0]].label;
  const { width, height } = tm.imageSize;
  const r = choice.rect;
  const covers = r.x <= 0.5 && r.y <= 0.5 && r.w >= width - 1 && r.h >= height - 1
    ? `the whole ${width}×${height} image`
    : `${Math.round(r.w)}×${Math.round(r.h)} at (${Math.round(r.x)}, ${Math.round(r.y)}) of ${width}×${height}`;
  const pixelNotes = (tm.notes ?? []).filter((n) => n.includes('→'));
  return [`model input: ${what} — covers ${covers}`, ...pixelNotes].join('; ');
}

/** "8×8 patches" for a one-grid map, else "2,928 tokens in 5 views". */
export function tokenSummary(tm: TokenMap): string {
  if (tm.grid) return `${tm.grid.rows}×${tm.grid.cols} patches`;
  const n = tm.patches.length.toLocaleString('en-US');
  return tm.views.length > 1 ? `${n} tokens in ${tm.views.length} views` : `${n} tokens`;
}
