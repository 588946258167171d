// "Delete Run": a modal confirmation naming what goes (checkpoints, the trained adapter, its overlay
// pack), then src/training/deleteRun.ts. When seaLens.pack or seaLens.adapter point at the deleted run they
// are put back to the run's base pack and its default adapter, so no view is left on a missing pack.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { deleteRun } from '../../training/deleteRun';
import { runAdapterLabel } from '../../training/adapterChoices';
import { isInside } from '../settings';
import type { RunInfo } from '../../training/runFolder';

export async function confirmAndDeleteRun(workspace: string, run: RunInfo, basePack: string | undefined): Promise<boolean> {
  const s = run.summary;
  const detail = s
    ? vscode.l10n.t('{0}\n\nIts checkpoints, its trained adapter "{1}" and its overlay pack are deleted; the adapter leaves every adapter picker.', run.dir, s.adapter)
    : vscode.l10n.t('{0}\n\nIts config, progress and checkpoints are deleted.', run.dir);
  const del = vscode.l10n.t('Delete');
  const pick = await vscode.window.showWarningMessage(vscode.l10n.t('Delete training run {0}?', run.id), { modal: true, detail }, del);
  if (pick !== del) return false;
  try {
    deleteRun(workspace, run.dir);
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not delete run {0}: {1}', run.id, (e as Error).message));
    return false;
  }
  const cfg = vscode.workspace.getConfiguration('seaLens');
  const target = vscode.ConfigurationTarget.Workspace;
  const packSetting = cfg.get<string>('pack', '').trim();
  if (packSetting && isInside(path.resolve(workspace, packSetting), run.dir)) {
    await cfg.update('pack', basePack ?? '', target);
    await cfg.update('adapter', '', target);
    void vscode.window.showInformationMessage(vscode.l10n.t('seaLens.pack pointed into the deleted run; it is now {0}.', basePack ?? vscode.l10n.t('the demo pack')));
  } else if (s && cfg.get<string>('adapter', '').trim() === runAdapterLabel({ id: run.id, adapter: s.adapter, steps: s.steps })) {
    await cfg.update('adapter', '', target);
  }
  return true;
}
