// "SEA Lens: Check Environment": the `sea-lens doctor` report for this window — execution providers, the
// Python interpreters training and `pack init` would try (with the setting, the Python extension's choice
// and the workspace .venv), the model cache — in an output channel, problems with their fixes.

import * as vscode from 'vscode';
import { environmentReport, formatEnvironmentReport } from '../training/environmentReport';
import { pythonCandidates } from '../training/pythonDiscovery';
import { extensionPythonCandidates } from './training/trainingPython';

let channel: vscode.OutputChannel | undefined;

export async function checkEnvironment(): Promise<void> {
  channel ??= vscode.window.createOutputChannel(vscode.l10n.t('SEA Lens Environment'));
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('SEA Lens: checking GPU providers and Python interpreters…') },
    async () => {
      const tried = await extensionPythonCandidates();
      const explicit = tried.length === 1 && (tried[0].source === 'setting' || tried[0].source === 'env');
      // With an explicit choice, still show what discovery would find without it.
      const others = explicit ? pythonCandidates({ env: { ...process.env, SEALENS_PYTHON: '' }, projectDirs: vscode.workspace.isTrusted ? (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath) : [] }) : [];
      return environmentReport({ candidates: [...tried, ...others.filter((c) => c.executable !== tried[0]?.executable)], explicit });
    },
  );
  channel.clear();
  channel.appendLine(formatEnvironmentReport(report));
  channel.show(true);
  const problems = report.problems.filter((p) => p.severity === 'problem').length;
  if (!problems) {
    void vscode.window.showInformationMessage(vscode.l10n.t('SEA Lens: no problems found (details in the "SEA Lens Environment" output).'));
    return;
  }
  const settingsButton = vscode.l10n.t('Set Python Path');
  const pick = await vscode.window.showWarningMessage(vscode.l10n.t('SEA Lens: {0} problem(s) found; each with its fix in the "SEA Lens Environment" output.', problems), settingsButton);
  if (pick === settingsButton) void vscode.commands.executeCommand('workbench.action.openSettings', 'seaLens.pythonPath');
}
