// The adapter list of src/training/adapterChoices.ts as the extension sees it: runs are read from the
// first workspace folder, and only in a trusted workspace (a run's overlay pack lies in the workspace, and
// SEA Lens loads no pack from an untrusted one). Also the quick pick every adapter command shows.

import * as vscode from 'vscode';
import type { PackInfo } from '../../shared/engineProtocol';
import { listAdapterChoices, type AdapterChoice } from '../../training/adapterChoices';

export function adapterChoices(pack: { info: PackInfo; dir: string }): AdapterChoice[] {
  const ws = vscode.workspace.isTrusted ? vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath : undefined;
  return listAdapterChoices({ dir: pack.dir, adapters: pack.info.adapters, defaultAdapter: pack.info.defaultAdapter }, ws);
}

/** Quick pick over the pack's adapters and its runs' adapters, separated; resolves to the chosen label. */
export async function pickAdapterChoice(pack: { info: PackInfo; dir: string }, title: string, current: string | undefined): Promise<AdapterChoice | undefined> {
  const choices = adapterChoices(pack);
  type Item = vscode.QuickPickItem & { choice?: AdapterChoice };
  const items: Item[] = [];
  choices.forEach((c, i) => {
    if (c.run && !choices[i - 1]?.run) items.push({ label: vscode.l10n.t('training runs'), kind: vscode.QuickPickItemKind.Separator });
    const notes = [c.label === current ? vscode.l10n.t('current') : undefined, c.isDefault ? vscode.l10n.t('pack default') : undefined].filter(Boolean);
    items.push({ label: c.label, description: notes.join(' · ') || undefined, detail: c.description, choice: c });
  });
  const pick = await vscode.window.showQuickPick(items, { title, matchOnDetail: true });
  return pick?.choice;
}
