// The run view's scalars: one series per quantity the step and validation events carry, each with its
// axis label and unit, keeping the last value of each step (a resumed run repeats the steps after its
// checkpoint). Pure: the charts draw these, the unit tests check them.

import type { ProgressEvent } from '../../src/shared/trainingProtocol';

type StepEvent = Extract<ProgressEvent, { event: 'step' }>;

export interface ScalarSeries {
  id: string;
  title: string;
  /** The y axis label, unit included. */
  axis: string;
  /** Shown as a percentage (values are fractions). */
  percent: boolean;
  steps: number[];
  values: number[];
}

const STEP_SCALARS: { id: string; title: string; axis: string; pick: (e: StepEvent) => number }[] = [
  { id: 'loss', title: 'total loss L_g + λ·L_a', axis: 'loss (nats)', pick: (e) => e.loss },
  { id: 'lossG', title: 'L_g (caption loss)', axis: 'L_g (nats / token)', pick: (e) => e.lossG },
  { id: 'lossA', title: 'L_a (SEA alignment loss)', axis: 'L_a (nats)', pick: (e) => e.lossA },
  { id: 'tau', title: 'τ (temperature = 1 / logit scale)', axis: 'τ (unitless)', pick: (e) => e.tau },
  { id: 'logitScale', title: 'logit scale', axis: 'scale (unitless)', pick: (e) => e.logitScale },
  { id: 'lr', title: 'learning rate', axis: 'lr (per step)', pick: (e) => e.lr },
];

/** Step events sorted by step, the last one written for each step. */
export function lastStepEvents(events: readonly ProgressEvent[]): StepEvent[] {
  const byStep = new Map<number, StepEvent>();
  for (const e of events) if (e.event === 'step') byStep.set(e.step, e);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

export function scalarSeries(events: readonly ProgressEvent[]): ScalarSeries[] {
  const steps = lastStepEvents(events);
  const out: ScalarSeries[] = [];
  if (steps.length) {
    const x = steps.map((e) => e.step);
    for (const s of STEP_SCALARS) out.push({ id: s.id, title: s.title, axis: s.axis, percent: false, steps: x, values: steps.map(s.pick) });
  }
  const agreement = new Map<number, number>();
  for (const e of events) if (e.event === 'validation' && e.agreement !== null) agreement.set(e.step, e.agreement);
  if (agreement.size) {
    const pts = [...agreement].sort((a, b) => a[0] - b[0]);
    out.push({ id: 'agreement', title: 'CLIP-label agreement (validation)', axis: 'agreement (%)', percent: true, steps: pts.map((p) => p[0]), values: pts.map((p) => p[1]) });
  }
  return out;
}

/** A value as the readout and the axis show it: 4 significant digits, percentages with one decimal. */
export function formatScalar(v: number, percent: boolean): string {
  if (!Number.isFinite(v)) return String(v);
  if (percent) return `${(100 * v).toFixed(1)} %`;
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}
