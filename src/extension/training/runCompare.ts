// "Compare adapters" for a finished run: the extension's compare view, reading the run's pack overlay
// (trained adapter + the pack's own adapters) instead of the seaLens.pack setting, so the user's
// settings are never changed by a training run. The panels have their own view type, so that after a
// window reload they are restored here, again on the run's overlay (the compare view's own serializer
// would fall back to the settings' pack, where the trained adapter does not exist).

import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { CompareView } from '../compareView';
import type { ViewDeps } from '../lensView';
import type { PackInfo } from '../../shared/engineProtocol';
import { parsePersistedState, type PersistedViewState } from '../../shared/webviewProtocol';
import { runForComparePanel } from '../../training/runLookup';
import type { RunInfo } from '../../training/runFolder';

export const RUN_COMPARE_VIEW_TYPE = 'seaLens.trainingCompare';

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

export function openRunCompare(deps: ViewDeps, image: vscode.Uri, run: { id: string; pack: string; trained: string; base: string | null }): vscode.WebviewPanel {
  // the run id ends the title: it is how a restored panel finds its run again (runForComparePanel)
  const panel = vscode.window.createWebviewPanel(RUN_COMPARE_VIEW_TYPE, vscode.l10n.t('Before/after: {0}', run.id), vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: false });
  packOfPanel.set(panel, run.pack);
  new RunCompareView(panel, image, deps, { adapter: run.base ?? undefined, adapterB: run.trained });
  return panel;
}

/** Panel serializer body: reopen on the run's overlay pack, or close the panel when the run or image is gone. */
export function restoreRunCompare(deps: ViewDeps, panel: vscode.WebviewPanel, raw: unknown, runs: RunInfo[]): void {
  const state: PersistedViewState | undefined = parsePersistedState(raw);
  const image = state ? vscode.Uri.parse(state.image, true) : undefined;
  const run = state ? runForComparePanel(runs, panel.title, state) : undefined;
  if (!state || !image || image.scheme !== 'file' || !existsSync(image.fsPath) || !run?.summary) {
    deps.log.info(`not restoring "${panel.title}": ${!state ? 'no saved state' : !run ? 'its training run is gone or unfinished' : `${state.image} no longer exists`}`);
    panel.dispose();
    return;
  }
  packOfPanel.set(panel, run.summary.pack);
  new RunCompareView(panel, image, deps, state);
}
