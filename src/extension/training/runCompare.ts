// "Compare adapters" for a finished run: the extension's compare view, reading the run's pack overlay
// (trained adapter + the pack's own adapters) instead of the seaLens.pack setting, so the user's
// settings are never changed by a training run.

import * as vscode from 'vscode';
import { CompareView, COMPARE_VIEW_TYPE } from '../compareView';
import type { ViewDeps } from '../lensView';
import type { PackInfo } from '../../shared/engineProtocol';

// Set before the base constructor runs (it may already ask for the pack).
const packOfPanel = new WeakMap<vscode.WebviewPanel, string>();

class RunCompareView extends CompareView {
  protected override async packInfo(token: vscode.CancellationToken): Promise<{ info: PackInfo; dir: string }> {
    if (this.pack) return this.pack;
    const dir = packOfPanel.get(this.panel)!;
    const info = await this.deps.engine.request('engine/packInfo', { pack: dir }, token);
    this.pack = { info, dir };
    return this.pack;
  }
}

export function openRunCompare(deps: ViewDeps, image: vscode.Uri, packDir: string, trained: string, base: string | null): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, vscode.l10n.t('Before/after: {0}', trained), vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: false });
  packOfPanel.set(panel, packDir);
  new RunCompareView(panel, image, deps, { adapter: base ?? undefined, adapterB: trained });
  return panel;
}
