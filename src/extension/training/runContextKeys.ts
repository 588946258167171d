// Context keys that gate the run commands in the command palette (package.json menus.commandPalette), so
// that "Resume Training" appears only when a run can be resumed, "Cancel Training" only while one runs,
// and so on, instead of answering "No matching training runs". Pure (no vscode import): tested directly.

/** The keys and the `when` clauses that read them; a package.json test checks the two agree. */
export const RUN_CONTEXT_KEYS = {
  hasRuns: 'seaLens.hasRuns',
  hasRunningRuns: 'seaLens.hasRunningRuns',
  hasResumableRuns: 'seaLens.hasResumableRuns',
  hasFinishedRuns: 'seaLens.hasFinishedRuns',
} as const;

/** Statuses "Resume Training" accepts (its run picker uses the same list). */
export const RESUMABLE_STATUSES: readonly string[] = ['cancelled', 'interrupted', 'failed'];

export function runContextKeys(runs: readonly { status: string; dir: string }[], active: ReadonlySet<string>): Record<string, boolean> {
  return {
    [RUN_CONTEXT_KEYS.hasRuns]: runs.length > 0,
    [RUN_CONTEXT_KEYS.hasRunningRuns]: runs.some((r) => active.has(r.dir)),
    [RUN_CONTEXT_KEYS.hasResumableRuns]: runs.some((r) => RESUMABLE_STATUSES.includes(r.status) && !active.has(r.dir)),
    [RUN_CONTEXT_KEYS.hasFinishedRuns]: runs.some((r) => r.status === 'finished'),
  };
}
