// Quick fixes for sealens-cell problems: "Change to "explain"" for a misspelt command or option (edit
// distance, see closestName), the keyword a command expects, quotes around a word, and the `demo:` form
// of a sample path that moved. The repairs come from the same place as the diagnostics (cellProblems),
// so a fix is offered exactly where a problem is underlined.

import * as vscode from 'vscode';
import { cellProblems } from './cellDiagnostics';

export class CellQuickFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly extensionUri: vscode.Uri) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const { diagnostic, fix } of cellProblems(doc, this.extensionUri)) {
      if (!fix || !diagnostic.range.intersection(range)) continue;
      const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
      action.diagnostics = [diagnostic];
      action.isPreferred = true;
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(doc.uri, diagnostic.range, fix.text);
      actions.push(action);
    }
    return actions;
  }
}
