// Everything the *.sealens notebook adds to VS Code, behind one call from the extension's activate():
// the serializer, the kernel, completion, hover, diagnostics and quick fixes for the cell language, and the
// "SEA Lens: New Notebook" command.

import * as vscode from 'vscode';
import { CELL_LANGUAGE, NOTEBOOK_TYPE } from '../../shared/notebookFormat';
import { SeaLensNotebookSerializer } from './notebookSerializer';
import { SeaLensNotebookController } from './notebookController';
import { CellCompletionProvider } from './cellCompletion';
import { CellHoverProvider } from './cellHover';
import { registerCellDiagnostics } from './cellDiagnostics';
import { CellQuickFixProvider } from './cellQuickFixes';
import { openStarterNotebook } from './newNotebook';
import { configuredPack, demoFolder, notebookEngine, type EngineRequester } from './notebookEngine';

export function registerNotebook(context: vscode.ExtensionContext, engineClient: EngineRequester): void {
  const engine = notebookEngine(engineClient);
  const controller = new SeaLensNotebookController(engine, context.extensionUri);
  const packInfo = () => {
    const pack = configuredPack(context.extensionUri);
    let p = controller.packCache.get(pack);
    if (!p) {
      p = engine.request('engine/packInfo', { pack });
      controller.packCache.set(pack, p);
      p.catch(() => controller.packCache.delete(pack));
    }
    return p;
  };
  const selector: vscode.DocumentSelector = { language: CELL_LANGUAGE };
  context.subscriptions.push(
    vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, new SeaLensNotebookSerializer(), { transientOutputs: false }),
    controller,
    vscode.languages.registerCompletionItemProvider(selector, new CellCompletionProvider(packInfo, demoFolder(context.extensionUri)), ' ', '/', '='),
    vscode.languages.registerHoverProvider(selector, new CellHoverProvider()),
    vscode.languages.registerCodeActionsProvider(selector, new CellQuickFixProvider(context.extensionUri), CellQuickFixProvider.metadata),
    vscode.commands.registerCommand('seaLens.newNotebook', () =>
      openStarterNotebook(context.extensionUri).then(undefined, (err) =>
        vscode.window.showErrorMessage(vscode.l10n.t('SEA Lens: could not open the starter notebook: {0}', String((err as Error)?.message ?? err))),
      ),
    ),
    // A retrained or re-pointed pack must not be described from a stale cache.
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('seaLens.pack') && controller.packCache.clear()),
  );
  registerCellDiagnostics(context);
}
