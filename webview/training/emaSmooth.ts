// TensorBoard's scalar smoothing: an exponential moving average with its start-up bias removed, so the
// first smoothed points are not dragged towards zero. weight 0 is the raw series, 0.99 very smooth.
// Non-finite values are passed through and leave the average as it was (one bad point does not poison
// every later one). Pure: the page draws it, the unit tests check it.

export const MAX_SMOOTHING = 0.99;

/** Clamps a stored or typed smoothing weight into [0, MAX_SMOOTHING]; anything unreadable becomes `fallback`. */
export function clampSmoothing(w: unknown, fallback = 0.6): number {
  if (typeof w !== 'number' || !Number.isFinite(w)) return fallback;
  return Math.min(MAX_SMOOTHING, Math.max(0, w));
}

export function emaSmooth(values: readonly number[], weight: number): number[] {
  const w = clampSmoothing(weight, 0);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n += 1;
    // debias: after n points the weights sum to 1 − wⁿ, not 1
    const debias = w === 0 ? 1 : 1 - Math.pow(w, n);
    return last / debias;
  });
}
