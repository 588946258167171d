// "SEA Lens: New Notebook": opens the starter notebook as a new untitled notebook. Its relative image
// paths point into the extension's media/ folder, so they are made absolute here; the user's copy then
// runs wherever it is saved.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { NOTEBOOK_TYPE } from '../../shared/notebookFormat';
import { findCommand } from '../../notebook/cellCommands';
import { parseCell } from '../../notebook/parseCell';
import { SeaLensNotebookSerializer } from './notebookSerializer';

export async function openStarterNotebook(extensionUri: vscode.Uri): Promise<void> {
  const starter = vscode.Uri.joinPath(extensionUri, 'media', 'notebooks', 'starter.sealens');
  const bytes = await vscode.workspace.fs.readFile(starter);
  const data = new SeaLensNotebookSerializer().deserializeNotebook(bytes);
  for (const cell of data.cells) {
    if (cell.kind === vscode.NotebookCellKind.Code) cell.value = absolutePaths(cell.value, path.dirname(starter.fsPath));
  }
  const doc = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, data);
  await vscode.window.showNotebookDocument(doc);
}

/** Rewrites the path arguments of every command to absolute paths (quoted when they hold blanks). */
export function absolutePaths(source: string, baseDir: string): string {
  const lines = source.split('\n');
  for (const cmd of parseCell(source).commands) {
    const spec = findCommand(cmd.name)!;
    const spans = spec.args.filter((a) => a.kind === 'image' || a.kind === 'folder' || a.kind === 'dir').map((a) => cmd.args[a.name]);
    // Right to left, so earlier columns stay valid while the line is edited.
    for (const s of spans.sort((a, b) => b.start - a.start)) {
      const abs = path.resolve(baseDir, s.value);
      const text = /[\s"#]/.test(abs) ? JSON.stringify(abs) : abs;
      lines[s.line] = lines[s.line].slice(0, s.start) + text + lines[s.line].slice(s.end);
    }
  }
  return lines.join('\n');
}
