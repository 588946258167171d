// Markers drawn across the run view's charts: where the run was resumed and where it was validated.
// A resume is a start event with resumedFrom (the checkpoint's step), or, in a log whose start event is
// missing, a step event whose step is not after the one before it (the trainer repeats the steps after
// its last checkpoint). Read from the events as written, before the page keeps the last value per step.

import type { ProgressEvent } from '../../src/shared/trainingProtocol';

export interface ResumeMarker {
  /** The step training went on from. */
  step: number;
  /** Steps thrown away: trained before the interruption but after the checkpoint (0 when unknown). */
  redone: number;
}

export function resumeMarkers(events: readonly ProgressEvent[]): ResumeMarker[] {
  const out: ResumeMarker[] = [];
  let lastStep: number | undefined;
  let announced: number | undefined; // a start event's resumedFrom, waiting for its first step
  for (const e of events) {
    if (e.event === 'start') {
      if (e.resumedFrom !== null && e.resumedFrom !== undefined) {
        out.push({ step: e.resumedFrom, redone: lastStep !== undefined ? Math.max(0, lastStep - e.resumedFrom) : 0 });
        announced = e.resumedFrom;
      }
    } else if (e.event === 'step') {
      if (lastStep !== undefined && e.step <= lastStep && announced === undefined) out.push({ step: e.step - 1, redone: lastStep - (e.step - 1) });
      announced = undefined;
      lastStep = e.step;
    }
  }
  // the same resume seen twice (a log read again) is one marker
  return out.filter((m, i) => out.findIndex((o) => o.step === m.step) === i);
}

/** Steps at which the validation images were scored (with the agreement, null without labels). */
export function validationMarkers(events: readonly ProgressEvent[]): { step: number; agreement: number | null }[] {
  const byStep = new Map<number, number | null>();
  for (const e of events) if (e.event === 'validation') byStep.set(e.step, e.agreement);
  return [...byStep].sort((a, b) => a[0] - b[0]).map(([step, agreement]) => ({ step, agreement }));
}
