// The images a Before/After (or any compare) view can be switched to, in the order a person looks for them:
// the run's evaluation images (the validation split the before/after metrics were measured on), the rest of
// its dataset, then the workspace's images. No vscode import: the list is built and tested in plain Node
// (test/unit/compareImageCandidates.test.ts); compareImagePicker.ts turns it into a QuickPick.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { isImageFileName } from '../../shared/mediaLimits';
import { readRunConfig, resolveConfigPath } from '../../training/runConfig';

export type CandidateSource = 'validation' | 'training' | 'dataset' | 'workspace';

export interface ImageCandidate {
  /** Absolute file path. */
  path: string;
  source: CandidateSource;
  /** The image the view shows now. */
  current: boolean;
}

export interface CandidateInput {
  /** The image shown now (listed first when it is among the others, marked `current`). */
  current?: string;
  /** Images the run's before/after metrics were computed on (summary.json `evaluationImages`). */
  evaluationImages?: readonly string[];
  /** summary.json `evaluation.evaluatedOn`: "validation", or "training images" when the run had no split. */
  evaluatedOn?: string;
  datasetImages?: readonly string[];
  workspaceImages?: readonly string[];
  /** At most this many entries (a QuickPick of 10,000 images helps nobody; Browse… reaches the rest). */
  max?: number;
}

export const DEFAULT_MAX_CANDIDATES = 200;

/** Groups in order, each path once (the first group that names it wins), only image file names. */
export function compareImageCandidates(input: CandidateInput): ImageCandidate[] {
  const max = input.max ?? DEFAULT_MAX_CANDIDATES;
  const current = input.current ? path.resolve(input.current) : undefined;
  const evalSource: CandidateSource = input.evaluatedOn === undefined || input.evaluatedOn === 'validation' ? 'validation' : 'training';
  const groups: [CandidateSource, readonly string[] | undefined][] = [
    [evalSource, input.evaluationImages], ['dataset', input.datasetImages], ['workspace', input.workspaceImages],
  ];
  const seen = new Set<string>();
  const out: ImageCandidate[] = [];
  for (const [source, paths] of groups) {
    for (const p of paths ?? []) {
      const abs = path.resolve(p);
      if (seen.has(abs) || !isImageFileName(abs)) continue;
      seen.add(abs);
      out.push({ path: abs, source, current: abs === current });
    }
  }
  // The shown image leads the list, so Enter on an unchanged pick is a no-op the person can see.
  const i = out.findIndex((c) => c.current);
  if (i > 0) out.unshift(...out.splice(i, 1));
  return out.slice(0, max);
}

/**
 * The images of a run's dataset as the trainer reads them (runConfig.ts, python/sealens/runner/dataset.py):
 * a folder and its sub-folders (sorted), or a LLaVA-style .json list / .jsonl lines whose `image` is relative
 * to `imageFolder` (default: the list's folder). At most `limit`; an unreadable dataset gives none (the
 * picker still offers the workspace and Browse…).
 */
export function datasetImages(configFile: string, limit = DEFAULT_MAX_CANDIDATES): string[] {
  try {
    const cfg = readRunConfig(configFile);
    const ds = resolveConfigPath(configFile, cfg.dataset);
    if (statSync(ds).isDirectory()) {
      return (readdirSync(ds, { recursive: true }) as string[]).filter((f) => isImageFileName(f)).sort().slice(0, limit).map((f) => path.join(ds, f));
    }
    const base = cfg.imageFolder ? resolveConfigPath(configFile, cfg.imageFolder) : path.dirname(ds);
    const text = readFileSync(ds, 'utf8');
    const records: unknown[] = /\.jsonl$/i.test(ds)
      ? text.split('\n').filter((l) => l.trim()).flatMap((l) => {
        try {
          return [JSON.parse(l) as unknown];
        } catch {
          return []; // the trainer skips and names a malformed line; here it is simply not offered
        }
      })
      : (JSON.parse(text) as unknown[]);
    if (!Array.isArray(records)) return [];
    const out: string[] = [];
    for (const r of records) {
      const img = (r as { image?: unknown } | null)?.image;
      if (typeof img === 'string' && isImageFileName(img)) out.push(path.resolve(base, img));
      if (out.length >= limit) break;
    }
    return out;
  } catch {
    return [];
  }
}
