// Zoom and pan arithmetic: the transform that fits a region of the image into the viewport, zooming
// about a point (the pointer, or the centre for + and -), and panning that keeps some image in view.
// Pure: no DOM.

import type { Box } from '../../src/shared/tokenMap';
import type { Transform } from '../../src/shared/overlayLayout';

export interface Viewport {
  width: number;
  height: number;
}

/** Zoom range relative to the fitted scale: from a quarter to 64× (a 14-px token fills a laptop screen). */
export const MIN_ZOOM = 0.25;
export const MAX_ZOOM = 64;

/** The largest scale at which `rect` fits the viewport, centred. */
export function fitTransform(rect: Box, vp: Viewport): Transform {
  const k = Math.min(vp.width / rect.w, vp.height / rect.h);
  return { k, x: (vp.width - rect.w * k) / 2 - rect.x * k, y: (vp.height - rect.h * k) / 2 - rect.y * k };
}

/** Zooms by `factor` keeping the display point (px, py) still; the scale stays within fit × [MIN, MAX]. */
export function zoomAbout(t: Transform, factor: number, px: number, py: number, fitK: number): Transform {
  const k = Math.min(fitK * MAX_ZOOM, Math.max(fitK * MIN_ZOOM, t.k * factor));
  const f = k / t.k;
  return { k, x: px - (px - t.x) * f, y: py - (py - t.y) * f };
}

/** Moves by (dx, dy) display pixels, keeping at least `keep` px of the image inside the viewport. */
export function panBy(t: Transform, dx: number, dy: number, image: { width: number; height: number }, vp: Viewport, keep = 40): Transform {
  const w = image.width * t.k;
  const h = image.height * t.k;
  const x = Math.min(vp.width - Math.min(keep, w), Math.max(Math.min(keep, w) - w, t.x + dx));
  const y = Math.min(vp.height - Math.min(keep, h), Math.max(Math.min(keep, h) - h, t.y + dy));
  return { k: t.k, x, y };
}

/**
 * The smallest pan that brings `box` (image pixels) fully into view, with a margin. A box already fully in
 * view does not move the view: in the fitted view the edge tokens touch the viewport's edge, and the margin
 * would shift the whole image and cut off the opposite edge's tokens when the keyboard reaches them.
 */
export function panToShow(t: Transform, box: Box, vp: Viewport, margin = 8): Transform {
  const x0 = box.x * t.k + t.x;
  const y0 = box.y * t.k + t.y;
  const x1 = x0 + box.w * t.k;
  const y1 = y0 + box.h * t.k;
  const eps = 1e-6;
  const dx = x0 < -eps ? margin - x0 : x1 > vp.width + eps ? vp.width - margin - x1 : 0;
  const dy = y0 < -eps ? margin - y0 : y1 > vp.height + eps ? vp.height - margin - y1 : 0;
  return dx || dy ? { k: t.k, x: t.x + dx, y: t.y + dy } : t;
}

/** The image rectangle visible in the viewport (for drawing only the labels on screen). */
export function visibleRect(t: Transform, vp: Viewport): Box {
  return { x: -t.x / t.k, y: -t.y / t.k, w: vp.width / t.k, h: vp.height / t.k };
}

/**
 * The viewport for an image: the image's aspect at the available width; small images enlarged to
 * `minWidth` (as far as there is room) so that their labels are readable; at most `maxHeight` tall.
 */
export function viewportSize(image: { width: number; height: number }, avail: number, maxHeight: number, minWidth: number): Viewport {
  let w = Math.min(avail, Math.max(image.width, minWidth));
  let h = (w * image.height) / image.width;
  if (h > maxHeight) [w, h] = [(maxHeight * image.width) / image.height, maxHeight];
  return { width: Math.max(1, Math.floor(w)), height: Math.max(1, Math.floor(h)) };
}
