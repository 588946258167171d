// "Open With… → SEA Lens": a read-only custom editor for images, with priority "option" so that VS Code's
// own image preview stays the default. Each editor is an ExplainView.

import * as vscode from 'vscode';
import { ExplainView } from './explainView';
import type { ViewDeps } from './lensView';

export const EXPLAIN_EDITOR_TYPE = 'seaLens.imageExplainer';

export class ExplainEditorProvider implements vscode.CustomReadonlyEditorProvider {
  private readonly views = new Set<ExplainView>();

  /** `onView` hears of each editor's view (the view registry follows them for the title bar actions). */
  constructor(private readonly deps: ViewDeps, private readonly onView?: (view: ExplainView) => void) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const view = new ExplainView(panel, document.uri, this.deps);
    this.views.add(view);
    panel.onDidDispose(() => this.views.delete(view));
    this.onView?.(view);
  }

  get activeViews(): ReadonlySet<ExplainView> {
    return this.views;
  }
}
