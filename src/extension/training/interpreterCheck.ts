// The first step of "Train SEA Adapter…": is there a Python that can train? Asked before the eight wizard
// steps rather than after them, with the three ways out as buttons: pick another interpreter (the Python
// extension's picker, when it is installed), set seaLens.pythonPath, or copy the install command.

import * as vscode from 'vscode';
import { installCommand, PythonError, TRAINING_NEED } from '../../training/pythonInterpreter';
import { PythonNotFoundError } from '../../training/pythonDiscovery';
import { resolveTrainingPython } from './trainingPython';

/** The install command for the interpreter the user most likely means (the first one tried). */
export function installCommandFor(e: PythonError): string {
  const exe = e instanceof PythonNotFoundError && e.skipped[0] ? e.skipped[0].candidate.executable : 'python3';
  return installCommand(exe, TRAINING_NEED.modules).replace(/`/g, '');
}

/** True when a usable interpreter was found; otherwise tells the user why and offers the fixes. */
export async function checkTrainingInterpreter(log: (line: string) => void): Promise<boolean> {
  try {
    await resolveTrainingPython(log);
    return true;
  } catch (e) {
    if (!(e instanceof PythonError)) throw e;
    log((e as Error).message);
    const select = vscode.l10n.t('Select Interpreter');
    const setPath = vscode.l10n.t('Set Python Path');
    const copy = vscode.l10n.t('Copy Install Command');
    const hasPythonExt = !!vscode.extensions.getExtension('ms-python.python');
    const pick = await vscode.window.showErrorMessage(e.message, ...(hasPythonExt ? [select] : []), setPath, copy);
    if (pick === select) await vscode.commands.executeCommand('python.setInterpreter');
    else if (pick === setPath) await vscode.commands.executeCommand('workbench.action.openSettings', 'seaLens.pythonPath');
    else if (pick === copy) {
      const cmd = installCommandFor(e);
      await vscode.env.clipboard.writeText(cmd);
      void vscode.window.showInformationMessage(vscode.l10n.t('Copied: {0}', cmd));
    }
    return false;
  }
}
