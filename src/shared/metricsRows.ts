// The metrics table as (name, formatted value) rows: one definition for the notebook renderer (browser),
// the text/HTML fallbacks and the CLI report, so the three never disagree on names or rounding.

import type { MetricsPayload } from './notebookFormat';

export function percent(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function percentOrNa(x: number | null): string {
  return x === null ? 'n/a' : percent(x);
}

/**
 * (name, value) rows. For a combined output (several adapters, see metricsTable) every adapter's rows,
 * each name prefixed with its adapter, so a two-column reader still shows every value with its owner.
 */
export function metricsRows(p: MetricsPayload): [string, string][] {
  if (!p.results || p.results.length < 2) return resultRows(p.result);
  const { columns } = metricsTable(p);
  return p.results.flatMap((r, i) => resultRows(r).map(([k, v]): [string, string] => [`${columns[i]}: ${k}`, v]));
}

/** A metrics output as one table: a column per adapter (one column for a single result). */
export interface MetricsTable {
  /** Column headings after the row names: the adapters (with the pack when they differ). */
  columns: string[];
  /** Row name, then one formatted value per column. */
  rows: string[][];
}

export function metricsTable(p: MetricsPayload): MetricsTable {
  const results = p.results?.length ? p.results : [p.result];
  const packs = new Set(results.map((r) => r.pack));
  const columns = results.map((r) => (packs.size > 1 ? `${r.pack} / ${r.adapter}` : r.adapter));
  const perResult = results.map(resultRows);
  const rows = perResult[0].map(([name], i) => [name, ...perResult.map((rows) => rows[i][1])]);
  return { columns, rows };
}

function resultRows(r: MetricsPayload['result']): [string, string][] {
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
