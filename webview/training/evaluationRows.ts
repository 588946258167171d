// The run view's before/after table: each measurement of the evaluation event with its change and whether
// that change is for the better (accuracies up, caption loss and modality gap down). Pure (no DOM): the
// page renders the rows, the unit tests check them. Metrics are read by name, so measurements that older
// trainers did not write (caption loss, per-kind accuracy) are left out instead of shown as "–".

export interface EvaluationRow {
  name: string;
  before: number | null;
  after: number | null;
  /** after − before; null when either side is missing. */
  delta: number | null;
  better: 'higher' | 'lower';
  /** Whether the change goes the better way; null when there is no change to judge. */
  improved: boolean | null;
  percent: boolean;
}

type MetricsLike = object;

const num = (m: MetricsLike, path: string[]): number | null => {
  let v: unknown = m;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

const ROWS: { name: string; path: string[]; better: 'higher' | 'lower'; percent: boolean }[] = [
  { name: 'caption loss (per token)', path: ['captionLoss'], better: 'lower', percent: false },
  { name: 'patch-word accuracy', path: ['patchWordAccuracy'], better: 'higher', percent: true },
  { name: '… background patches', path: ['perKind', 'background', 'accuracy'], better: 'higher', percent: true },
  { name: '… object patches', path: ['perKind', 'object', 'accuracy'], better: 'higher', percent: true },
  { name: 'class-balanced accuracy', path: ['classBalancedAccuracy'], better: 'higher', percent: true },
  { name: 'top-5 accuracy', path: ['top5Accuracy'], better: 'higher', percent: true },
  { name: 'CLIP-label agreement', path: ['labelAgreement'], better: 'higher', percent: true },
  { name: 'modality gap D', path: ['modalityGap'], better: 'lower', percent: false },
  { name: 'TACS', path: ['tacs'], better: 'higher', percent: false },
];

function row(name: string, before: number | null, after: number | null, better: 'higher' | 'lower', percent: boolean): EvaluationRow {
  const delta = before !== null && after !== null ? after - before : null;
  const improved = delta === null || delta === 0 ? null : better === 'higher' ? delta > 0 : delta < 0;
  return { name, before, after, delta, better, improved, percent };
}

export function evaluationRows(before: MetricsLike, after: MetricsLike): EvaluationRow[] {
  return ROWS.map((r) => row(r.name, num(before, r.path), num(after, r.path), r.better, r.percent)).filter((r) => r.before !== null || r.after !== null);
}

/** Accuracy per true word, most frequent first (the trainer keeps the most frequent words). */
export function perClassRows(before: MetricsLike, after: MetricsLike, limit = 24): (EvaluationRow & { patches: number })[] {
  const classes = (m: MetricsLike): Record<string, { patches?: unknown }> => {
    const v = (m as { perClass?: unknown }).perClass;
    return typeof v === 'object' && v !== null ? (v as Record<string, { patches?: unknown }>) : {};
  };
  const a = classes(after);
  const b = classes(before);
  const words = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const patches = (w: string): number => Number(a[w]?.patches ?? b[w]?.patches ?? 0);
  return words
    .sort((x, y) => patches(y) - patches(x) || x.localeCompare(y))
    .slice(0, limit)
    .map((w) => ({ ...row(w, num(before, ['perClass', w, 'accuracy']), num(after, ['perClass', w, 'accuracy']), 'higher', true), patches: patches(w) }));
}

export function formatValue(v: number | null, percent: boolean): string {
  if (v === null) return '–';
  return percent ? `${(100 * v).toFixed(1)} %` : v.toFixed(3);
}

export function formatDelta(r: EvaluationRow): string {
  if (r.delta === null) return '–';
  const sign = r.delta > 0 ? '+' : r.delta < 0 ? '−' : '±';
  const mag = Math.abs(r.delta);
  const text = r.percent ? `${(100 * mag).toFixed(1)} pt` : mag.toFixed(3);
  const rel = !r.percent && r.before ? ` (${sign}${((100 * mag) / Math.abs(r.before)).toFixed(1)} %)` : '';
  return `${sign}${text}${rel}`;
}
