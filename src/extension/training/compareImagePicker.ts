// "Choose Image…" for the compare views: a QuickPick of the run's evaluation and dataset images and the
// workspace's images (compareImageCandidates.ts builds the list), plus "Browse…" — the open dialog filtered
// by the formats SEA Lens decodes (src/shared/mediaLimits.ts).

import * as path from 'node:path';
import * as vscode from 'vscode';
import { IMAGE_EXTENSION_LIST, IMAGE_EXTENSIONS, IMAGE_FORMATS, isImageFileName } from '../../shared/mediaLimits';
import type { CompareView } from '../compareView';
import { compareImageCandidates, DEFAULT_MAX_CANDIDATES, type CandidateInput, type CandidateSource } from './compareImageCandidates';

/** Workspace images, without the folders nobody keeps their pictures in. */
export async function workspaceImages(max = DEFAULT_MAX_CANDIDATES): Promise<string[]> {
  if (!vscode.workspace.workspaceFolders?.length) return [];
  const glob = `**/*.{${IMAGE_EXTENSIONS.flatMap((e) => [e, e.toUpperCase()]).join(',')}}`;
  const found = await vscode.workspace.findFiles(glob, '{**/node_modules/**,**/.git/**,**/.sealens/runs/*/cache/**}', max);
  return found.filter((u) => u.scheme === 'file').map((u) => u.fsPath).sort();
}

/** The open dialog's filters: all images first, then one entry per format of the table. */
export function imageDialogFilters(): Record<string, string[]> {
  const filters: Record<string, string[]> = { [vscode.l10n.t('Images')]: [...IMAGE_EXTENSIONS] };
  for (const f of IMAGE_FORMATS) filters[f.format.toUpperCase()] = [...f.extensions];
  return filters;
}

const sourceLabel = (s: CandidateSource): string => ({
  validation: vscode.l10n.t('Validation images of the run'),
  training: vscode.l10n.t('Images the run was evaluated on'),
  dataset: vscode.l10n.t('Dataset of the run'),
  workspace: vscode.l10n.t('Workspace'),
})[s];

type Item = vscode.QuickPickItem & { uri?: vscode.Uri; browse?: true };

/** Asks for an image; undefined when the person cancels. */
export async function pickCompareImage(input: Omit<CandidateInput, 'workspaceImages'>, title: string): Promise<vscode.Uri | undefined> {
  const candidates = compareImageCandidates({ ...input, workspaceImages: await workspaceImages() });
  const items: Item[] = [];
  let group: CandidateSource | undefined;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  for (const c of candidates) {
    if (c.source !== group) {
      group = c.source;
      items.push({ label: sourceLabel(c.source), kind: vscode.QuickPickItemKind.Separator });
    }
    const rel = root && c.path.startsWith(root + path.sep) ? path.relative(root, path.dirname(c.path)) : path.dirname(c.path);
    items.push({ label: path.basename(c.path), description: c.current ? vscode.l10n.t('shown now') : rel || undefined, uri: vscode.Uri.file(c.path), picked: c.current });
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: `$(folder-opened) ${vscode.l10n.t('Browse…')}`, browse: true, alwaysShow: true });
  const pick = await vscode.window.showQuickPick(items, { title, matchOnDescription: true, placeHolder: vscode.l10n.t('Type to filter by file or folder name') });
  if (!pick) return undefined;
  if (!pick.browse) return pick.uri;
  const dialogDefault = input.current ? vscode.Uri.file(path.dirname(input.current)) : vscode.workspace.workspaceFolders?.[0]?.uri;
  const chosen = await vscode.window.showOpenDialog({ title, canSelectMany: false, canSelectFolders: false, filters: imageDialogFilters(), defaultUri: dialogDefault, openLabel: vscode.l10n.t('Compare on This Image') });
  return chosen?.[0];
}

/** A typed path in the open dialog can be anything: only local files of the decoded formats. */
export function checkPickedImage(uri: vscode.Uri): boolean {
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('SEA Lens reads local files only; {0} is not one. Save the image to disk first.', uri.toString()));
    return false;
  }
  if (!isImageFileName(uri.fsPath)) {
    void vscode.window.showErrorMessage(vscode.l10n.t('SEA Lens compares on {0} images; {1} is not one of them.', IMAGE_EXTENSION_LIST, path.basename(uri.fsPath)));
    return false;
  }
  return true;
}

// Every open compare view (plain and Before/After; the latter are not in the ViewRegistry), so that the
// editor title bar's "Choose Image…" reaches the active one.
const openViews = new Set<CompareView>();
let lastActive: CompareView | undefined;

export function trackCompareView(view: CompareView): void {
  openViews.add(view);
  lastActive = view;
  view.panel.onDidChangeViewState((e) => e.webviewPanel.active && (lastActive = view));
  view.panel.onDidDispose(() => {
    openViews.delete(view);
    if (lastActive === view) lastActive = undefined;
  });
}

/** The compare view that is active, else the one looked at last. */
export function activeCompareView(): CompareView | undefined {
  return [...openViews].find((v) => v.panel.active) ?? lastActive;
}
