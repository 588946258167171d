// "Compare adapters" for a finished run: the extension's compare view, reading the run's pack overlay
// (trained adapter + the pack's own adapters) instead of the seaLens.pack setting, so the user's
// settings are never changed by a training run. The panels have their own view type, so that after a
// window reload they are restored here, again on the run's overlay (the compare view's own serializer
// would fall back to the settings' pack, where the trained adapter does not exist).

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CompareView } from '../compareView';
import type { ViewDeps } from '../lensView';
import type { PackInfo } from '../../shared/engineProtocol';
import { parsePersistedState, type PersistedViewState } from '../../shared/webviewProtocol';
import { runForComparePanel } from '../../training/runLookup';
import type { RunInfo } from '../../training/runFolder';
import type { RunSummary } from '../../shared/trainingProtocol';
import { datasetImages, type CandidateInput } from './compareImageCandidates';

export const RUN_COMPARE_VIEW_TYPE = 'seaLens.trainingCompare';

// Set before the base constructor runs (it may already ask for the pack).
const packOfPanel = new WeakMap<vscode.WebviewPanel, string>();
/** The run folder and the images its before/after metrics were measured on, for "Choose Image…". */
const runOfPanel = new WeakMap<vscode.WebviewPanel, { dir: string; evaluationImages?: string[]; evaluatedOn?: string }>();

class RunCompareView extends CompareView {
  protected override pickerInput(): Omit<CandidateInput, 'workspaceImages'> {
    const run = runOfPanel.get(this.panel);
    return {
      current: this.image.fsPath,
      evaluationImages: run?.evaluationImages,
      evaluatedOn: run?.evaluatedOn,
      datasetImages: run ? datasetImages(path.join(run.dir, 'config.json')) : undefined,
    };
  }

  /** The run id ends the title: it is how a restored panel finds its run again. */
  protected override retitle(): void {
    // the title stays "Before/after: <run id>"
  }

  protected override async packInfo(token: vscode.CancellationToken): Promise<{ info: PackInfo; dir: string }> {
    if (this.pack) return this.pack;
    const dir = packOfPanel.get(this.panel)!;
    const info = await this.deps.engine.request('engine/packInfo', { pack: dir }, token);
    this.pack = { info, dir };
    return this.pack;
  }
}

export function openRunCompare(deps: ViewDeps, image: vscode.Uri, run: { id: string; dir: string; summary: RunSummary }): vscode.WebviewPanel {
  // the run id ends the title: it is how a restored panel finds its run again (runForComparePanel)
  const panel = vscode.window.createWebviewPanel(RUN_COMPARE_VIEW_TYPE, vscode.l10n.t('Before/after: {0}', run.id), vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: false });
  remember(panel, run.dir, run.summary);
  new RunCompareView(panel, image, deps, { adapter: run.summary.baseAdapter ?? undefined, adapterB: run.summary.adapter });
  return panel;
}

function remember(panel: vscode.WebviewPanel, dir: string, s: RunSummary): void {
  packOfPanel.set(panel, s.pack);
  runOfPanel.set(panel, { dir, evaluationImages: s.evaluationImages, evaluatedOn: s.evaluation?.evaluatedOn });
}

/** The image a Before/After view opens on: the first image the run was evaluated on, else its dataset's first. */
export function runCompareImage(dir: string, s: RunSummary): string | undefined {
  const evalImages = (s.evaluationImages ?? []).filter((p) => existsSync(p));
  return evalImages[0] ?? datasetImages(path.join(dir, 'config.json'), 50).find((p) => existsSync(p));
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
  remember(panel, run.dir, run.summary);
  new RunCompareView(panel, image, deps, state);
}
