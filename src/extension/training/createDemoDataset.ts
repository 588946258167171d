// "SEA Lens: Create Demo Dataset…": the demo world written as a training dataset (images, captions, truth;
// `sea-lens dataset demo` is the CLI twin), in a folder the user picks, then offered to the training wizard.
// It runs Python code of this extension (python/sealens/demo_dataset.py), so it needs a trusted workspace
// only when the interpreter would come from the workspace (resolveTrainingPython already skips those).

import * as vscode from 'vscode';
import path from 'node:path';
import { DEMO_DATASET_NEED, writeDemoDataset } from '../../cli/commands/dataset';
import { resolveTrainingPython } from './trainingPython';

export async function createDemoDataset(context: vscode.ExtensionContext, log: (line: string) => void): Promise<void> {
  const count = await vscode.window.showInputBox({
    title: vscode.l10n.t('Create Demo Dataset (1/2): images'), value: '64', prompt: vscode.l10n.t('Scenes of the demo world, each with its caption and per-patch truth'),
    validateInput: (v) => (/^\d+$/.test(v.trim()) && +v >= 1 && +v <= 100_000 ? undefined : vscode.l10n.t('A whole number from {0} to {1}', 1, 100000)),
  });
  if (!count) return;
  const base = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: vscode.l10n.t('Create Demo Dataset (2/2): a new folder for the dataset'),
    defaultUri: base ? vscode.Uri.joinPath(base, 'demo-dataset') : undefined, saveLabel: vscode.l10n.t('Create'),
  });
  if (!target) return;
  const out = target.fsPath;
  let stderr = '';
  const code = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Writing {0} demo images…', +count) }, async () => {
    try {
      const py = await resolveTrainingPython(log, DEMO_DATASET_NEED);
      return await writeDemoDataset(py.executable, context.extensionUri.fsPath, +count, out, log, (s) => { stderr += s; log(s.trimEnd()); });
    } catch (e) {
      stderr = (e as Error).message;
      return 6;
    }
  });
  if (code !== 0) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not create the demo dataset in {0}: {1}', out, stderr.trim().split('\n').pop() ?? `exit ${code}`));
    return;
  }
  const reveal = vscode.l10n.t('Reveal in Explorer');
  const train = vscode.l10n.t('Train SEA Adapter…');
  const pick = await vscode.window.showInformationMessage(vscode.l10n.t('Demo dataset written: {0} images with captions and truth in {1} (and llava.json).', +count, path.basename(out)), train, reveal);
  if (pick === reveal) await vscode.commands.executeCommand('revealInExplorer', target);
  if (pick === train) await vscode.commands.executeCommand('seaLens.trainAdapter');
}
