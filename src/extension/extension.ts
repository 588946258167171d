// Activation: one engine process client, the log, the status bar, the commands, the explain custom
// editor, the panel serializers and the notebook. Nothing heavy runs here; the engine process starts on
// the first request.

import * as vscode from 'vscode';
import { EngineService } from './engineService';
import { LensStatusBar } from './statusBar';
import { ViewRegistry } from './viewRegistry';
import { ExplainEditorProvider, EXPLAIN_EDITOR_TYPE } from './explainEditorProvider';
import { ExplainView } from './explainView';
import { ImagePreviews } from './imagePreviews';
import { registerCommands } from './commands';
import { registerViewCommands } from './viewCommands';
import { registerNotebook } from './notebook/registerNotebook';
import { registerTraining } from './training/registerTraining';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('SEA Lens', { log: true });
  const statusBar = new LensStatusBar(context.extensionUri);
  const engine = new EngineService(context.extensionUri, log, (n) => statusBar.setDevice(n));
  const deps = { extensionUri: context.extensionUri, engine, log, previews: new ImagePreviews(context.globalStorageUri) };
  const views = new ViewRegistry(deps);
  context.subscriptions.push(
    log,
    statusBar,
    engine,
    views,
    ExplainView.onDidShowAdapter.event((a) => statusBar.setAdapter(a)),
    vscode.window.registerCustomEditorProvider(EXPLAIN_EDITOR_TYPE, new ExplainEditorProvider(deps, (v) => views.trackEditor(v)), {
      webviewOptions: { retainContextWhenHidden: false },
      supportsMultipleEditorsPerDocument: true,
    }),
    ...registerViewCommands(views, engine, context.extensionUri),
    ...registerCommands({ views, engine, log, extensionUri: context.extensionUri, globalStorageUri: context.globalStorageUri, onAdapterChosen: (a) => statusBar.setAdapter(a) }),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('seaLens') && statusBar.render()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => statusBar.render()),
  );
  registerNotebook(context, engine);
  registerTraining(context, engine);
  log.info(`SEA Lens ${context.extension.packageJSON.version} activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted'})`);
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the engine process.
}
