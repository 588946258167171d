// Which Python runs the trainer in VS Code: the seaLens.pythonPath setting when set (an error if it lacks a
// package), else the first of the Python extension's selected interpreter (ms-python.python `environments`
// API), the workspace folders' .venv, the active conda env, python3, python, /usr/bin/python3 that has what
// the task needs (src/training/pythonDiscovery.ts).

import * as vscode from 'vscode';
import { TRAINING_NEED, type PythonInfo, type PythonNeed } from '../../training/pythonInterpreter';
import { describeDiscovery, discoverPython, pythonCandidates, type PythonCandidate } from '../../training/pythonDiscovery';

interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined };
}

async function fromPythonExtension(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    return api?.environments?.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri)?.path || undefined;
  } catch {
    return undefined;   // an older Python extension without the environments API
  }
}

/** The interpreters SEA Lens would try in this window, in order. */
export async function extensionPythonCandidates(): Promise<PythonCandidate[]> {
  const setting = vscode.workspace.getConfiguration('seaLens').get<string>('pythonPath', '').trim();
  return pythonCandidates({
    explicit: setting ? { executable: setting, source: 'setting' } : undefined,
    pythonExtension: setting ? undefined : await fromPythonExtension(),
    // A workspace's .venv is code from the workspace: only run it where the workspace is trusted.
    projectDirs: vscode.workspace.isTrusted ? (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath) : [],
  });
}

/** The interpreter for `need`; `log` gets which one and why the others were skipped. */
export async function resolveTrainingPython(log?: (line: string) => void, need: PythonNeed = TRAINING_NEED): Promise<PythonInfo> {
  const found = await discoverPython(await extensionPythonCandidates(), need);
  for (const line of describeDiscovery(found)) log?.(line);
  return found.info;
}
