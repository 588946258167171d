// When SEA Lens has something to say in the status bar: an image editor (VS Code's image preview or the
// SEA Lens editor), a SEA Lens panel (explain, compare, training), or a SEA Lens notebook is the active
// tab. Written without the vscode module (the tab is described by plain fields) so it is unit-tested.

/** The active tab as the status bar sees it (from vscode.window.tabGroups). */
export interface TabDescription {
  kind: 'custom' | 'webview' | 'notebook' | 'text' | 'other';
  /** Custom editor or webview panel type; notebook type for notebooks. */
  viewType?: string;
  /** File path of custom editors and text editors. */
  path?: string;
}

export const IMAGE_PREVIEW_EDITOR = 'imagePreview.previewEditor';
export const SEA_LENS_VIEW_TYPES: readonly string[] = ['seaLens.imageExplainer', 'seaLens.explain', 'seaLens.compare', 'seaLens.trainingRun', 'seaLens.trainingCompare'];
export const SEA_LENS_NOTEBOOK_TYPE = 'sealens-notebook';

export function isLensTab(tab: TabDescription | undefined): boolean {
  if (!tab?.viewType) return false;
  // VS Code reports webview panels' types with an internal prefix ("mainThreadWebview-seaLens.explain").
  const type = tab.viewType.replace(/^mainThreadWebview-/, '');
  if (tab.kind === 'notebook') return type === SEA_LENS_NOTEBOOK_TYPE;
  if (tab.kind !== 'custom' && tab.kind !== 'webview') return false;
  return type === IMAGE_PREVIEW_EDITOR || SEA_LENS_VIEW_TYPES.includes(type);
}

/** The `when` of the explain view's title bar actions (package.json): its panel or custom editor is active. */
export const EXPLAIN_VIEW_ACTIVE = 'activeCustomEditorId == seaLens.imageExplainer || activeWebviewPanelId == seaLens.explain';
