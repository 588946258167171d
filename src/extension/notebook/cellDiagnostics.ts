// Problems in sealens-cell cells while typing: every syntax error of every line from the parser, and
// paths that do not exist (relative to the notebook's folder, or `demo:` in the installed demo folder),
// each underlined at its line and columns. Problems that have an obvious repair carry it (CellProblem),
// and cellQuickFixes offers it as a quick fix.

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CELL_LANGUAGE } from '../../shared/notebookFormat';
import { findCommand } from '../../notebook/cellCommands';
import { parseCell, type CellFix } from '../../notebook/parseCell';
import { CellPathError, demoPathFor, resolveCellPath, type CellPaths } from '../../notebook/resolveCellPath';
import { demoFolder, notebookBaseDir } from './notebookEngine';

/** A diagnostic together with the edit that repairs it, if there is one. */
export interface CellProblem {
  diagnostic: vscode.Diagnostic;
  fix?: CellFix;
}

export function registerCellDiagnostics(context: vscode.ExtensionContext): vscode.DiagnosticCollection {
  const collection = vscode.languages.createDiagnosticCollection('sealens-cell');
  const refresh = (doc: vscode.TextDocument) => {
    if (doc.languageId !== CELL_LANGUAGE) return;
    collection.set(doc.uri, cellProblems(doc, context.extensionUri).map((p) => p.diagnostic));
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

export function cellProblems(doc: vscode.TextDocument, extensionUri: vscode.Uri): CellProblem[] {
  const { commands, errors } = parseCell(doc.getText());
  const out: CellProblem[] = errors.map((e) => ({ diagnostic: diagnostic(e.line, e.start, e.end, e.message, vscode.DiagnosticSeverity.Error), fix: e.fix }));
  const notebook = vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document === doc));
  if (!notebook) return out;
  const paths: CellPaths = { baseDir: notebookBaseDir(notebook), demoDir: demoFolder(extensionUri) };
  for (const cmd of commands) {
    const spec = findCommand(cmd.name)!;
    for (const arg of spec.args) {
      if (arg.kind !== 'image' && arg.kind !== 'folder' && arg.kind !== 'dir') continue;
      const v = cmd.args[arg.name];
      if (!v) continue;
      // A cheap synchronous check: a cell has a handful of paths, and stale squiggles would mislead.
      let abs: string;
      try {
        abs = resolveCellPath(v.value, paths);
      } catch (e) {
        if (!(e instanceof CellPathError)) throw e;
        out.push({ diagnostic: diagnostic(v.line, v.start, v.end, e.message, vscode.DiagnosticSeverity.Error) });
        continue;
      }
      if (fs.existsSync(abs)) continue;
      const demo = demoPathFor(v.value);
      const fix = demo && fs.existsSync(resolveCellPath(demo, paths)) ? { title: vscode.l10n.t('Use the installed demo folder: {0}', demo), text: demo } : undefined;
      const where = v.value.startsWith('demo:') ? vscode.l10n.t('demo: paths are relative to the installed demo folder {0}', paths.demoDir ?? '') : vscode.l10n.t('paths are relative to the notebook folder {0}', paths.baseDir);
      out.push({ diagnostic: diagnostic(v.line, v.start, v.end, vscode.l10n.t('{0} not found: {1} ({2}).', arg.kind, v.value, where), vscode.DiagnosticSeverity.Warning), fix });
    }
  }
  return out;
}

function diagnostic(line: number, start: number, end: number, message: string, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
  const d = new vscode.Diagnostic(new vscode.Range(line, start, line, end), message, severity);
  d.source = 'SEA Lens';
  return d;
}
