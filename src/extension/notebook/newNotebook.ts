// "SEA Lens: New Notebook": opens the starter notebook as a new untitled notebook. Its cells name the
// shipped samples as `demo:samples/…`, which the cell language resolves to the installed demo folder, so
// the copy runs wherever it is saved and holds no path of this install.

import * as vscode from 'vscode';
import { NOTEBOOK_TYPE } from '../../shared/notebookFormat';
import { SeaLensNotebookSerializer } from './notebookSerializer';

export async function openStarterNotebook(extensionUri: vscode.Uri): Promise<void> {
  const starter = vscode.Uri.joinPath(extensionUri, 'media', 'notebooks', 'starter.sealens');
  const bytes = await vscode.workspace.fs.readFile(starter);
  const data = new SeaLensNotebookSerializer().deserializeNotebook(bytes);
  const doc = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, data);
  await vscode.window.showNotebookDocument(doc);
}
