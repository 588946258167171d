// Bridges the extension's engine client (cancelled by VS Code CancellationTokens) to the runner in
// src/notebook (cancelled by AbortSignals, because it also runs in the CLI without VS Code), and finds the
// pack the notebook runs on.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineMethod, EngineRequests } from '../../shared/engineProtocol';
import type { NotebookEngine } from '../../notebook/runCell';

/** The part of the engine client the notebook uses. */
export interface EngineRequester {
  request<M extends EngineMethod>(method: M, params: EngineRequests[M][0], token?: vscode.CancellationToken): Promise<EngineRequests[M][1]>;
}

export function notebookEngine(client: EngineRequester): NotebookEngine {
  return {
    async request(method, params, signal) {
      const source = new vscode.CancellationTokenSource();
      const cancel = () => source.cancel();
      // A signal aborted before the request (a quick interrupt) cancels it at once: 'abort' will not fire again.
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
      try {
        return await client.request(method, params, source.token);
      } finally {
        signal?.removeEventListener('abort', cancel);
        source.dispose();
      }
    },
  };
}

/** The `seaLens.pack` setting as an absolute folder; empty means the demo pack shipped in the extension. */
export function configuredPack(extensionUri: vscode.Uri): string {
  const setting = vscode.workspace.getConfiguration('seaLens').get<string>('pack', '').trim();
  if (!setting) return vscode.Uri.joinPath(extensionUri, 'media', 'demo-pack').fsPath;
  if (path.isAbsolute(setting)) return setting;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return folder ? path.resolve(folder, setting) : path.resolve(setting);
}

/** The installed demo folder (demo-pack/, samples/) that `demo:` paths in cells resolve against. */
export function demoFolder(extensionUri: vscode.Uri): string {
  return vscode.Uri.joinPath(extensionUri, 'media').fsPath;
}

/** The folder relative paths of a notebook resolve against: its own folder, or the workspace if untitled. */
export function notebookBaseDir(notebook: vscode.NotebookDocument): string {
  if (notebook.uri.scheme === 'file') return path.dirname(notebook.uri.fsPath);
  const folder = vscode.workspace.getWorkspaceFolder(notebook.uri) ?? vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.fsPath ?? process.cwd();
}
