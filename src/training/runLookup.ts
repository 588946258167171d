// Which finished run a restored "Before/after" panel belongs to. After a window reload VS Code hands back
// the panel's title and the state its page saved (image, adapters) but nothing else; the pack to compare
// with is the run's own overlay pack, never the seaLens.pack setting, so the run has to be found again.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunInfo } from './runFolder';

/** The panel title ends with the run id (unique in a workspace); older titles fall back to the adapters. */
export function runForComparePanel(runs: RunInfo[], title: string, state: { adapter?: string; adapterB?: string }): RunInfo | undefined {
  const usable = runs.filter((r) => r.status === 'finished' && r.summary && existsSync(path.join(r.summary.pack, 'manifest.json')));
  const byTitle = usable.filter((r) => title.endsWith(r.id)).sort((a, b) => b.id.length - a.id.length)[0];
  if (byTitle) return byTitle;
  // newest first (listRuns order): the run whose trained adapter the panel showed
  return usable.find((r) => r.summary!.adapter === state.adapterB) ?? usable.find((r) => r.summary!.adapter === state.adapter);
}
