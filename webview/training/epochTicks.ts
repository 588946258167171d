// Where the epochs start on the step axis. The trainer counts steps from 1; step s belongs to epoch
// ⌊(s − 1) / stepsPerEpoch⌋ + 1, so epoch k starts after step (k − 1)·stepsPerEpoch. With the start event's
// stepsPerEpoch the ticks are exact; without it (an old or cut-off progress log) they come from the
// epoch field of the step events. Thinned to every n-th epoch so that 10,000 epochs do not paint the axis.

export interface EpochTick {
  /** The step the epoch starts after (the tick's x). */
  step: number;
  epoch: number;
}

function thin(ticks: EpochTick[], maxTicks: number): EpochTick[] {
  if (ticks.length <= maxTicks) return ticks;
  const every = Math.ceil(ticks.length / Math.max(1, maxTicks));
  return ticks.filter((t) => (t.epoch - 1) % every === 0);
}

export function epochTicks(stepsPerEpoch: number, epochs: number, maxTicks = 12): EpochTick[] {
  if (!(stepsPerEpoch > 0) || !(epochs > 0)) return [];
  const ticks = Array.from({ length: Math.floor(epochs) }, (_, i) => ({ step: i * stepsPerEpoch, epoch: i + 1 }));
  return thin(ticks, maxTicks);
}

/** Epoch starts seen in step events (sorted by step): the step before the first step of each new epoch. */
export function epochTicksFromSteps(steps: readonly { step: number; epoch: number }[], maxTicks = 12): EpochTick[] {
  const ticks: EpochTick[] = [];
  let current = -Infinity;
  for (const s of steps) {
    if (s.epoch > current) {
      ticks.push({ step: s.step - 1, epoch: s.epoch });
      current = s.epoch;
    }
  }
  return thin(ticks, maxTicks);
}
