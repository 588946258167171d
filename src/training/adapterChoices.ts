// Every adapter a picker offers: the active pack's own, then the adapter of each finished training run
// of that pack, labelled by run ("run 2026-11-29-120301 · sea · step 2000"). One list for every picker
// (explain view, status bar, compare, notebook completion), so they cannot disagree. A run adapter lives in
// the run's overlay pack (`<run>/pack/`, python/sealens/runner/finish.py), so each choice says which pack
// folder the engine must open for it. No vscode import: the CLI and the unit tests use it as well.

import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { RUNS_DIR } from './runFolder';

export interface PackAdapters {
  dir: string;
  adapters: readonly { name: string; description?: string }[];
  defaultAdapter: string;
}

export interface AdapterChoice {
  /** What pickers show and what `seaLens.adapter` / the view state store: unique in the list. */
  label: string;
  /** The pack folder the engine opens for this adapter: the active pack, or the run's overlay pack. */
  pack: string;
  /** The adapter's name inside `pack`. */
  adapter: string;
  description?: string;
  isDefault: boolean;
  run?: { id: string; dir: string; steps: number; lambda?: number };
}

interface FinishedRun {
  id: string;
  dir: string;
  basePack: string;
  overlay: string;
  adapter: string;
  steps: number;
  lambda?: number;
  startAdapter?: string | null;
}

/** "20261129-120301-sea" → "2026-11-29-120301"; ids not made by newRunId are shown whole. */
export function runStamp(id: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{6})-/.exec(id);
  return m ? `${m[1]}-${m[2]}-${m[3]}-${m[4]}` : id;
}

export function runAdapterLabel(run: { id: string; adapter: string; steps: number }): string {
  return `run ${runStamp(run.id)} · ${run.adapter} · step ${run.steps}`;
}

function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finished runs of the workspace, newest first, read from config.json and summary.json only (progress.jsonl
 * can be megabytes and is not needed). A run is listed when its summary says done and its overlay pack is
 * still on disk; anything unreadable is skipped, since a picker must open whatever state the folder is in.
 */
export function finishedRuns(workspace: string): FinishedRun[] {
  const base = path.join(workspace, RUNS_DIR);
  let names: string[];
  try {
    names = readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const runs: FinishedRun[] = [];
  for (const id of names.sort().reverse()) {
    const dir = path.join(base, id);
    const cfg = readJson(path.join(dir, 'config.json'));
    const s = readJson(path.join(dir, 'summary.json'));
    if (!cfg || !s || s.status !== 'done' || typeof cfg.pack !== 'string' || typeof s.pack !== 'string' || typeof s.adapter !== 'string') continue;
    const overlay = path.resolve(dir, s.pack);
    if (!existsSync(path.join(overlay, 'manifest.json'))) continue;
    runs.push({
      id, dir, overlay, adapter: s.adapter,
      basePack: path.resolve(dir, cfg.pack),
      steps: typeof s.steps === 'number' ? s.steps : 0,
      lambda: typeof s.lambda === 'number' ? s.lambda : undefined,
      startAdapter: typeof cfg.startAdapter === 'string' ? cfg.startAdapter : null,
    });
  }
  return runs;
}

/**
 * The pack's own adapters (default first as the pack orders them), then one choice per finished run whose
 * base pack is the active pack. When the active pack is itself a run's overlay (after "Use This Adapter"
 * of an older version, or set by hand) the runs of that overlay's base pack are listed, minus the run whose
 * adapter the overlay already holds. Runs of other packs are left out: their adapters expect another
 * encoder and embedding table.
 */
export function listAdapterChoices(pack: PackAdapters, workspace: string | undefined): AdapterChoice[] {
  const own: AdapterChoice[] = pack.adapters.map((a) => ({ label: a.name, pack: pack.dir, adapter: a.name, description: a.description, isDefault: a.name === pack.defaultAdapter }));
  if (!workspace) return own;
  const runs = finishedRuns(workspace);
  const active = real(pack.dir);
  if (!active) return own;
  const self = runs.find((r) => real(r.overlay) === active);
  const base = self ? real(self.basePack) : active;
  const labels = new Set(own.map((c) => c.label));
  const out = [...own];
  for (const r of runs) {
    if (r === self || real(r.basePack) !== base) continue;
    let label = runAdapterLabel(r);
    if (labels.has(label)) label = `${label} (${r.id})`;
    labels.add(label);
    const from = r.startAdapter ? `from ${r.startAdapter}` : 'from a fresh adapter';
    out.push({
      label, pack: r.overlay, adapter: r.adapter, isDefault: false,
      description: `trained in ${r.dir} (${from}${r.lambda !== undefined ? `, λ = ${r.lambda}` : ''})`,
      run: { id: r.id, dir: r.dir, steps: r.steps, lambda: r.lambda },
    });
  }
  return out;
}

/**
 * The choice a stored name means: a label of the list, or (for settings and notebooks written before run
 * labels) a plain adapter name of the pack; undefined when it names nothing in the list.
 */
export function findAdapterChoice(choices: readonly AdapterChoice[], wanted: string | undefined): AdapterChoice | undefined {
  if (!wanted) return undefined;
  return choices.find((c) => c.label === wanted) ?? choices.find((c) => !c.run && c.adapter === wanted);
}

/** The pack's default adapter's choice (the first one when the manifest's default is missing). */
export function defaultAdapterChoice(choices: readonly AdapterChoice[]): AdapterChoice | undefined {
  return choices.find((c) => c.isDefault) ?? choices[0];
}
