// "Use This Adapter" when a run finishes. When the run trained on the active pack its adapter is already
// one of that pack's choices (labelled by run, src/training/adapterChoices.ts), so only seaLens.adapter
// changes and the pack stays. A run of another pack switches to the run's overlay pack (which holds the
// trained adapter beside the base pack's own), since its adapter does not fit the active pack's model.

import * as vscode from 'vscode';
import { listAdapterChoices } from '../../training/adapterChoices';
import type { RunSummary } from '../../shared/trainingProtocol';
import * as settings from '../settings';

export async function useRunAdapter(extensionUri: vscode.Uri, run: { id: string; summary: RunSummary }): Promise<void> {
  const cfg = vscode.workspace.getConfiguration('seaLens');
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  const ws = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  let active: string | undefined;
  try {
    active = settings.resolvePack(extensionUri).dir;
  } catch {
    // a broken pack setting: the overlay pack below replaces it
  }
  const mine = active ? listAdapterChoices({ dir: active, adapters: [], defaultAdapter: '' }, ws).find((c) => c.run?.id === run.id) : undefined;
  if (mine) {
    await cfg.update('adapter', mine.label, target);
    void vscode.window.showInformationMessage(vscode.l10n.t('SEA Lens now uses adapter "{0}" (in every adapter picker beside the pack\'s own).', mine.label));
    return;
  }
  await cfg.update('pack', run.summary.pack, target);
  await cfg.update('adapter', run.summary.adapter, target);
  void vscode.window.showInformationMessage(vscode.l10n.t('SEA Lens now uses adapter "{0}" of {1} (the base pack\'s adapters are listed beside it).', run.summary.adapter, run.summary.pack));
}
