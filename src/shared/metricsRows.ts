// The metrics table as (name, formatted value) rows: one definition for the notebook renderer (browser),
// the text/HTML fallbacks and the CLI report, so the three never disagree on names or rounding.

import type { MetricsPayload } from './notebookFormat';

export function percent(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function percentOrNa(x: number | null): string {
  return x === null ? 'n/a' : percent(x);
}

export function metricsRows(p: MetricsPayload): [string, string][] {
  const r = p.result;
  return [
    ['images', String(r.images)],
    ['images with truth', String(r.imagesWithTruth)],
    ['patch-word accuracy (top-1)', percentOrNa(r.patchWordAccuracy)],
    ['patch-word accuracy (top-5)', percentOrNa(r.top5Accuracy)],
    ['agreement with SEA labels', percentOrNa(r.labelAgreement)],
    ['modality gap D (Eq. 5)', r.gapD.toFixed(4)],
    ['TACS (K = 10)', r.tacs === null ? 'n/a (no captions)' : r.tacs.toFixed(4)],
  ];
}
