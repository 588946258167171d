// A λ sweep: one run config, several λ (the weight of the SEA alignment loss), one run each, then one
// table and a pick by the rule "best alignment whose caption loss stays within 5 % of the reference" —
// the rule the demo pack's λ = 1 was chosen by (docs/demo-pack.md). The reference is the caption-only run
// (λ = 0) when the sweep has one, else the start adapter's caption loss measured before training (every
// run of a sweep starts from the same adapter and validates on the same images: same seed, same data).
// Alignment is patch-word accuracy where the dataset has per-patch truth, else CLIP-label agreement.
// No vscode import: the extension command and the tests share it.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunConfig, RunSummary } from '../shared/trainingProtocol';
import { createRun, newRunId, RUNS_DIR } from './runFolder';

export const SWEEP_TOLERANCE = 0.05;
export const MAX_SWEEP_RUNS = 12;

export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

/** "0, 0.5 1;2" → [0, 0.5, 1, 2]: at least two distinct λ ≥ 0, at most MAX_SWEEP_RUNS, in the order given. */
export function parseLambdas(text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const out: number[] = [];
  for (const p of parts) {
    const v = Number(p);
    if (!/^[0-9.eE+-]+$/.test(p) || !Number.isFinite(v) || v < 0) throw new SweepError(`λ values must be numbers ≥ 0 separated by commas or spaces (got "${p}")`);
    if (out.includes(v)) throw new SweepError(`λ = ${v} is listed twice`);
    out.push(v);
  }
  if (out.length < 2) throw new SweepError(`a sweep needs at least two λ values (got ${out.length})`);
  if (out.length > MAX_SWEEP_RUNS) throw new SweepError(`a sweep runs one training per λ: at most ${MAX_SWEEP_RUNS} values (got ${out.length})`);
  return out;
}

/**
 * A config read from `configFile` with its folder paths made absolute, so that it can be written into a
 * new run folder (a rerun, a sweep) and still name the same pack, dataset and image folder.
 */
export function absoluteConfig(configFile: string, cfg: RunConfig): RunConfig {
  const abs = (p: string): string => path.resolve(path.dirname(configFile), p);
  return { ...cfg, pack: abs(cfg.pack), dataset: abs(cfg.dataset), ...(typeof cfg.imageFolder === 'string' ? { imageFolder: abs(cfg.imageFolder) } : {}) };
}

/** One config per λ; everything else as in `base` (without its `lambdas`: each run trains one λ), the output name
 *  tagged with λ ("sea-l0.5"). */
export function sweepConfigs(base: RunConfig, lambdas: readonly number[]): RunConfig[] {
  const { lambdas: _sweep, ...single } = base;
  return lambdas.map((lambda) => ({ ...single, lambda, outputName: `${base.outputName}-l${lambda}`.slice(0, 64) }));
}

/** The λ list of a sweep: the one given (flag, input box) if any, else the config's own `lambdas`. */
export function sweepLambdas(given: string | undefined, base: RunConfig): number[] {
  if (given !== undefined) return parseLambdas(given);
  if (base.lambdas) return parseLambdas(base.lambdas.join(','));
  throw new SweepError('no λ values: give them (e.g. 0,0.5,1,2) or put "lambdas": [0, 0.5, 1, 2] in the run config');
}

export interface SweepRun {
  id: string;
  lambda: number;
  /** Absent when the run did not finish (failed or cancelled): listed, never picked. */
  summary?: RunSummary;
}

export interface SweepRow {
  id: string;
  lambda: number;
  finished: boolean;
  captionLoss: number | null;
  /** (captionLoss − reference) / reference */
  captionLossChange: number | null;
  alignment: number | null;
  withinTolerance: boolean | null;
  best: boolean;
}

export interface SweepTable {
  rows: SweepRow[];
  alignmentMetric: 'patchWordAccuracy' | 'labelAgreement';
  reference: { captionLoss: number; source: string } | null;
  best: SweepRow | undefined;
  rule: string;
}

const metric = (m: unknown, key: string): number | null => {
  const v = typeof m === 'object' && m !== null ? (m as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

export function sweepTable(runs: readonly SweepRun[], tolerance = SWEEP_TOLERANCE): SweepTable {
  const done = runs.filter((r) => r.summary);
  const truth = done.length > 0 && done.every((r) => metric(r.summary!.evaluation.after, 'patchWordAccuracy') !== null);
  const alignmentMetric = truth ? 'patchWordAccuracy' : 'labelAgreement';
  const zero = done.find((r) => r.lambda === 0);
  const zeroLoss = zero ? metric(zero.summary!.evaluation.after, 'captionLoss') : null;
  const startLoss = done.map((r) => metric(r.summary!.evaluation.before, 'captionLoss')).find((v) => v !== null) ?? null;
  const reference = zeroLoss !== null
    ? { captionLoss: zeroLoss, source: `the caption-only run (λ = 0, ${zero!.id})` }
    : startLoss !== null ? { captionLoss: startLoss, source: 'the start adapter before training' } : null;
  const rows: SweepRow[] = runs.map((r) => {
    const after = r.summary?.evaluation.after;
    const captionLoss = metric(after, 'captionLoss');
    const change = captionLoss !== null && reference ? (captionLoss - reference.captionLoss) / reference.captionLoss : null;
    return {
      id: r.id, lambda: r.lambda, finished: !!r.summary, captionLoss, captionLossChange: change,
      alignment: metric(after, alignmentMetric),
      withinTolerance: change === null ? null : change <= tolerance + 1e-12,
      best: false,
    };
  });
  // without a caption loss (no decoder or no captions) every finished run is eligible
  const eligible = rows.filter((r) => r.finished && r.alignment !== null && (reference ? r.withinTolerance === true : true));
  const best = eligible.sort((a, b) => b.alignment! - a.alignment! || a.lambda - b.lambda)[0];
  if (best) best.best = true;
  const pct = `${Math.round(tolerance * 100)} %`;
  const rule = reference
    ? `the highest ${alignmentMetric === 'patchWordAccuracy' ? 'patch-word accuracy' : 'CLIP-label agreement'} among the runs whose validation caption loss is at most ${pct} above ${reference.source} (${reference.captionLoss.toFixed(4)})`
    : `the highest ${alignmentMetric === 'patchWordAccuracy' ? 'patch-word accuracy' : 'CLIP-label agreement'} (no caption loss was measured: the pack has no decoder or the data no captions)`;
  return { rows: [...rows].sort((a, b) => a.lambda - b.lambda), alignmentMetric, reference, best, rule };
}

const pctText = (v: number | null): string => (v === null ? '–' : `${(100 * v).toFixed(1)} %`);

/** The table as Markdown (written beside the sweep's runs and opened in the editor). */
export function sweepMarkdown(t: SweepTable, title: string): string {
  const align = t.alignmentMetric === 'patchWordAccuracy' ? 'patch-word accuracy' : 'label agreement';
  const lines = [
    `# ${title}`, '',
    `Pick: ${t.best ? `**λ = ${t.best.lambda}** (run ${t.best.id})` : 'none — no finished run meets the rule'}, by the rule: ${t.rule}.`, '',
    `| λ | run | caption loss | vs reference | ${align} | within rule |`,
    '| ---: | --- | ---: | ---: | ---: | :---: |',
  ];
  for (const r of t.rows) {
    const change = r.captionLossChange === null ? '–' : `${r.captionLossChange >= 0 ? '+' : '−'}${Math.abs(100 * r.captionLossChange).toFixed(1)} %`;
    const within = !r.finished ? 'not finished' : r.withinTolerance === null ? '–' : r.withinTolerance ? 'yes' : 'no';
    lines.push(`| ${r.best ? `**${r.lambda}**` : r.lambda} | ${r.id} | ${r.captionLoss === null ? '–' : r.captionLoss.toFixed(4)} | ${change} | ${pctText(r.alignment)} | ${within} |`);
  }
  return lines.join('\n') + '\n';
}

// ---- sweep folders: .sealens/sweeps/<id>/sweep.json lists its runs; comparison.md is the table -------------

export const SWEEPS_DIR = path.join('.sealens', 'sweeps');

export interface SweepFile {
  formatVersion: 1;
  created: string;
  lambdas: number[];
  runs: { id: string; lambda: number }[];
}

/** Creates one run folder per λ (createRun) and the sweep folder that lists them; nothing is started. */
export function createSweep(workspace: string, base: RunConfig, lambdas: readonly number[], now = new Date()): { id: string; dir: string; runs: { id: string; dir: string; lambda: number }[] } {
  const id = newRunId(`sweep-${base.outputName}`, now);
  const dir = path.join(workspace, SWEEPS_DIR, id);
  mkdirSync(path.dirname(dir), { recursive: true });
  mkdirSync(dir);   // throws if it exists: never mixes two sweeps
  const runs = sweepConfigs(base, lambdas).map((cfg) => ({ ...createRun(workspace, cfg, newRunId(cfg.outputName, now)), lambda: cfg.lambda! }));
  const file: SweepFile = { formatVersion: 1, created: now.toISOString(), lambdas: [...lambdas], runs: runs.map((r) => ({ id: r.id, lambda: r.lambda })) };
  writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify(file, null, 2) + '\n');
  return { id, dir, runs };
}

/** The sweep's runs with the summaries of those that finished (a deleted run reads as not finished). */
export function readSweep(workspace: string, sweepDir: string): SweepRun[] {
  let file: SweepFile;
  try {
    file = JSON.parse(readFileSync(path.join(sweepDir, 'sweep.json'), 'utf8')) as SweepFile;
  } catch (e) {
    throw new SweepError(`${path.join(sweepDir, 'sweep.json')}: cannot read the sweep (${(e as Error).message})`);
  }
  if (!Array.isArray(file.runs)) throw new SweepError(`${path.join(sweepDir, 'sweep.json')}: "runs" must be a list`);
  return file.runs.map((r) => {
    let summary: RunSummary | undefined;
    try {
      const s = JSON.parse(readFileSync(path.join(workspace, RUNS_DIR, r.id, 'summary.json'), 'utf8')) as RunSummary;
      if (s.status === 'done') summary = s;
    } catch {
      // not finished (or deleted): listed as such
    }
    return { id: r.id, lambda: r.lambda, summary };
  });
}

/** Writes comparison.md for the sweep's current state and returns its path and the table. */
export function writeSweepComparison(workspace: string, sweepDir: string): { file: string; table: SweepTable } {
  const table = sweepTable(readSweep(workspace, sweepDir));
  const file = path.join(sweepDir, 'comparison.md');
  writeFileSync(file, sweepMarkdown(table, `λ sweep ${path.basename(sweepDir)}`));
  return { file, table };
}
