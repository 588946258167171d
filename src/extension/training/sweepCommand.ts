// "Sweep λ…": a run's config (or the wizard's answers) with several λ → one run folder per λ, trained one
// after the other through the same start() as any run (progress, cancel, run view), then comparison.md
// (src/training/lambdaSweep.ts) opened beside. A cancelled run stops the sweep; a failed one is listed as
// not finished and the next λ still runs. The table can be rebuilt from the sweep folder at any time.

import * as vscode from 'vscode';
import { createSweep, parseLambdas, writeSweepComparison } from '../../training/lambdaSweep';
import { runInfo } from '../../training/runFolder';
import type { RunConfig } from '../../shared/trainingProtocol';

/** The λ values, prefilled with the config's own `lambdas` list when it has one. */
export async function askLambdas(base?: RunConfig): Promise<number[] | undefined> {
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Sweep λ: values'),
    prompt: vscode.l10n.t('One training run per λ (weight of the SEA alignment loss), e.g. 0 for caption loss only as the reference'),
    value: base?.lambdas?.join(', ') ?? '0, 0.25, 0.5, 1, 2',
    validateInput: (s) => {
      try {
        parseLambdas(s);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  return text === undefined ? undefined : parseLambdas(text);
}

export async function runSweep(workspace: string, base: RunConfig, lambdas: number[], start: (dir: string) => Promise<void>): Promise<void> {
  const sweep = createSweep(workspace, base, lambdas);
  for (const [i, r] of sweep.runs.entries()) {
    await start(r.dir);
    const status = runInfo(r.dir).status;
    if (status === 'cancelled' || status === 'running') {
      const left = sweep.runs.length - i - 1;
      void vscode.window.showWarningMessage(vscode.l10n.t('λ sweep stopped at λ = {0}; {1} run(s) not started. Their folders are in the runs view (Resume or Delete).', r.lambda, left));
      break;
    }
  }
  const { file, table } = writeSweepComparison(workspace, sweep.dir);
  await vscode.commands.executeCommand('markdown.showPreviewToSide', vscode.Uri.file(file)).then(undefined, () => vscode.window.showTextDocument(vscode.Uri.file(file)));
  void vscode.window.showInformationMessage(table.best
    ? vscode.l10n.t('λ sweep done: λ = {0} is the best alignment within 5 % caption loss (run {1}).', table.best.lambda, table.best.id)
    : vscode.l10n.t('λ sweep done: no finished run meets the rule; see {0}.', file));
}
