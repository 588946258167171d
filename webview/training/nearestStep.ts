// The crosshair's lookup: the index of the point whose step is nearest a hovered step, by binary search
// over steps sorted ascending (ties go to the earlier point). -1 for an empty series.

export function nearestIndex(steps: readonly number[], step: number): number {
  if (!steps.length || !Number.isFinite(step)) return -1;
  let lo = 0;
  let hi = steps.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  // lo is the first step ≥ the hovered one; the one before may be nearer
  if (lo > 0 && step - steps[lo - 1] <= steps[lo] - step) return lo - 1;
  return lo;
}
