// The explain view's actions as commands in the editor title bar (package.json menus.editor/title, shown
// when a SEA Lens explain panel or editor is active): switch the adapter of that view, toggle the score
// heatmap, export. The adapter is switched here; the heatmap and the exports are the page's (it draws
// the PNG), so those are sent to it as a `viewCommand` message (src/shared/webviewProtocol.ts).

import * as vscode from 'vscode';
import type { ExportFormat, ToWebview } from '../shared/webviewProtocol';
import type { EngineRequester } from './lensView';
import type { ViewRegistry } from './viewRegistry';
import type { ExplainView } from './explainView';
import { describeError, notifyError } from './engineErrors';
import * as settings from './settings';
import { pickAdapterChoice } from './training/adapterChoicesHost';
import { activeCompareView } from './training/compareImagePicker';

export function registerViewCommands(views: ViewRegistry, engine: EngineRequester, extensionUri: vscode.Uri): vscode.Disposable[] {
  const activeView = (): ExplainView | undefined => {
    const view = views.activeExplain;
    if (!view) void vscode.window.showInformationMessage(vscode.l10n.t('Open an image with "SEA Lens: Explain Visual Tokens" first; this action works on its view.'));
    return view;
  };
  const send = (view: ExplainView, msg: ToWebview): void => void view.panel.webview.postMessage(msg);
  return [
    vscode.commands.registerCommand('seaLens.view.switchAdapter', async () => {
      const view = activeView();
      if (!view) return;
      try {
        const { dir } = settings.resolvePack(extensionUri);
        const info = await engine.request('engine/packInfo', { pack: dir });
        const pick = await pickAdapterChoice({ info, dir }, vscode.l10n.t('Decode this view with which adapter of {0}?', info.name), view.currentAdapter);
        if (pick) view.setAdapter(pick.label);
      } catch (e) {
        await notifyError(describeError(e));
      }
    }),
    vscode.commands.registerCommand('seaLens.view.toggleHeatmap', () => {
      const view = activeView();
      if (view) send(view, { kind: 'viewCommand', command: 'toggleHeatmap' });
    }),
    vscode.commands.registerCommand('seaLens.view.export', async () => {
      const view = activeView();
      if (!view) return;
      const formats: { label: string; detail: string; format: ExportFormat }[] = [
        { label: 'PNG', detail: vscode.l10n.t('The image with the overlay as drawn'), format: 'png' },
        { label: 'JSON', detail: vscode.l10n.t('The TokenMap: every visual token with its nearest words and scores'), format: 'json' },
        { label: 'CSV', detail: vscode.l10n.t('One row per visual token and word'), format: 'csv' },
      ];
      const pick = await vscode.window.showQuickPick(formats, { title: vscode.l10n.t('Export the visual tokens as') });
      if (pick) send(view, { kind: 'viewCommand', command: 'export', format: pick.format });
    }),
    // The compare views' (plain and Before/After) own action: the same adapters on another image.
    vscode.commands.registerCommand('seaLens.view.chooseImage', async () => {
      const view = activeCompareView();
      if (!view) return void vscode.window.showInformationMessage(vscode.l10n.t('Open "SEA Lens: Compare Adapters…" or a training run\'s "Compare Before/After" first; this action works on its view.'));
      try {
        await view.chooseImage();
      } catch (e) {
        await notifyError(describeError(e));
      }
    }),
  ];
}
