// Which token is under the pointer, in constant time per move: boxes are bucketed in a uniform grid over
// the image once per view change, so hovering 2,880 tokens tests only the few boxes of one bucket. Where
// boxes overlap (a thumbnail over tiles), the smallest box wins: it is the most specific one. Pure: no DOM.

import type { Box } from '../../src/shared/tokenMap';

export interface HitIndex {
  /** The token whose box holds the image point (x, y), or undefined. */
  at(x: number, y: number): number | undefined;
}

export function createHitIndex(boxes: readonly (Box | undefined)[], indices: readonly number[], size: { width: number; height: number }): HitIndex {
  const n = Math.max(1, indices.length);
  // About one token per bucket on a regular grid; at most 256 × 256 buckets.
  const side = Math.max(1, Math.min(256, Math.round(Math.sqrt(n))));
  const bw = size.width / side;
  const bh = size.height / side;
  const buckets: number[][] = Array.from({ length: side * side }, () => []);
  const clampI = (v: number) => Math.min(side - 1, Math.max(0, v));
  for (const i of indices) {
    const b = boxes[i];
    if (!b) continue;
    const c0 = clampI(Math.floor(b.x / bw));
    const c1 = clampI(Math.floor((b.x + b.w) / bw - 1e-9));
    const r0 = clampI(Math.floor(b.y / bh));
    const r1 = clampI(Math.floor((b.y + b.h) / bh - 1e-9));
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) buckets[r * side + c].push(i);
  }
  return {
    at(x, y) {
      if (!(x >= 0 && y >= 0 && x < size.width && y < size.height)) return undefined;
      let best: number | undefined;
      let bestArea = Infinity;
      for (const i of buckets[clampI(Math.floor(y / bh)) * side + clampI(Math.floor(x / bw))]) {
        const b = boxes[i]!;
        if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h && b.w * b.h < bestArea) {
          best = i;
          bestArea = b.w * b.h;
        }
      }
      return best;
    },
  };
}
