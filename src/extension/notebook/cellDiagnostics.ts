// Problems in sealens-cell cells while typing: syntax errors from the parser, and paths that do not
// exist relative to the notebook's folder, each underlined at its line and columns.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CELL_LANGUAGE } from '../../shared/notebookFormat';
import { findCommand } from '../../notebook/cellCommands';
import { parseCell } from '../../notebook/parseCell';
import { notebookBaseDir } from './notebookEngine';

export function registerCellDiagnostics(context: vscode.ExtensionContext): vscode.DiagnosticCollection {
  const collection = vscode.languages.createDiagnosticCollection('sealens-cell');
  const refresh = (doc: vscode.TextDocument) => {
    if (doc.languageId !== CELL_LANGUAGE) return;
    collection.set(doc.uri, cellDiagnostics(doc));
  };
  context.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidChangeTextDocument((e) => refresh(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => collection.delete(doc.uri)),
  );
  vscode.workspace.textDocuments.forEach(refresh);
  return collection;
}

export function cellDiagnostics(doc: vscode.TextDocument): vscode.Diagnostic[] {
  const { commands, errors } = parseCell(doc.getText());
  const out = errors.map((e) => diagnostic(e.line, e.start, e.end, e.message, vscode.DiagnosticSeverity.Error));
  const notebook = vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document === doc));
  if (!notebook) return out;
  const base = notebookBaseDir(notebook);
  for (const cmd of commands) {
    const spec = findCommand(cmd.name)!;
    for (const arg of spec.args) {
      if (arg.kind !== 'image' && arg.kind !== 'folder' && arg.kind !== 'dir') continue;
      const v = cmd.args[arg.name];
      // A cheap synchronous check: a cell has a handful of paths, and stale squiggles would mislead.
      if (v && !fs.existsSync(path.resolve(base, v.value))) {
        out.push(diagnostic(v.line, v.start, v.end, vscode.l10n.t('{0} not found: {1} (paths are relative to the notebook folder {2}).', arg.kind, v.value, base), vscode.DiagnosticSeverity.Warning));
      }
    }
  }
  return out;
}

function diagnostic(line: number, start: number, end: number, message: string, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
  const d = new vscode.Diagnostic(new vscode.Range(line, start, line, end), message, severity);
  d.source = 'SEA Lens';
  return d;
}
