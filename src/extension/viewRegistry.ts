// Opens and tracks the SEA Lens panels: one explain panel per image (reopening reveals it), compare
// panels, and restoring both after a window reload through panel serializers.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { parsePersistedState } from '../shared/webviewProtocol';
import { ExplainView, EXPLAIN_VIEW_TYPE } from './explainView';
import { CompareView, COMPARE_VIEW_TYPE } from './compareView';
import { LensView, type ViewDeps } from './lensView';

export class ViewRegistry implements vscode.Disposable {
  private readonly explainPanels = new Map<string, ExplainView>();
  private readonly comparePanels = new Set<CompareView>();
  private readonly editorViews = new Set<ExplainView>();
  private lastActive: ExplainView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: ViewDeps) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(EXPLAIN_VIEW_TYPE, { deserializeWebviewPanel: (p, s) => this.restore(p, s) }),
      vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, { deserializeWebviewPanel: (p, s) => this.restore(p, s) }),
    );
  }

  private panel(viewType: string, title: string): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: false });
  }

  openExplain(image: vscode.Uri): ExplainView {
    const existing = this.explainPanels.get(image.toString());
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const view = new ExplainView(this.panel(EXPLAIN_VIEW_TYPE, vscode.l10n.t('Visual tokens: {0}', path.basename(image.fsPath))), image, this.deps);
    this.trackExplain(view);
    return view;
  }

  openCompare(image: vscode.Uri): CompareView {
    const view = new CompareView(this.panel(COMPARE_VIEW_TYPE, vscode.l10n.t('Compare adapters: {0}', path.basename(image.fsPath))), image, this.deps);
    this.trackCompare(view);
    return view;
  }

  /** The explain view (panel or "Open With… → SEA Lens" editor) that is active, else the one looked at last. */
  get activeExplain(): ExplainView | undefined {
    return [...this.explainPanels.values(), ...this.editorViews].find((v) => v.panel.active) ?? this.lastActive;
  }

  /** Follows an explain view of the custom editor, so editor title actions and Select Adapter reach it. */
  trackEditor(view: ExplainView): void {
    this.editorViews.add(view);
    if (view.panel.active) this.lastActive = view;
    view.panel.onDidChangeViewState((e) => e.webviewPanel.active && (this.lastActive = view));
    view.panel.onDidDispose(() => {
      this.editorViews.delete(view);
      if (this.lastActive === view) this.lastActive = undefined;
    });
  }

  private trackExplain(view: ExplainView): void {
    const key = view.image.toString();
    this.explainPanels.set(key, view);
    this.lastActive = view;
    view.panel.onDidChangeViewState((e) => e.webviewPanel.active && (this.lastActive = view));
    view.panel.onDidDispose(() => {
      this.explainPanels.delete(key);
      if (this.lastActive === view) this.lastActive = undefined;
    });
  }

  private trackCompare(view: CompareView): void {
    this.comparePanels.add(view);
    view.panel.onDidDispose(() => this.comparePanels.delete(view));
  }

  private async restore(panel: vscode.WebviewPanel, raw: unknown): Promise<void> {
    const state = parsePersistedState(raw);
    const image = state ? vscode.Uri.parse(state.image, true) : undefined;
    if (!state || !image || image.scheme !== 'file' || !(await LensView.exists(image))) {
      // Nothing to show: close instead of leaving an empty panel behind.
      this.deps.log.info(`not restoring a SEA Lens panel: ${state ? `${state.image} no longer exists` : 'no saved state'}`);
      panel.dispose();
      return;
    }
    if (state.view === 'compare') this.trackCompare(new CompareView(panel, image, this.deps, state));
    else this.trackExplain(new ExplainView(panel, image, this.deps, state));
  }

  dispose(): void {
    for (const v of [...this.explainPanels.values(), ...this.comparePanels]) v.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
