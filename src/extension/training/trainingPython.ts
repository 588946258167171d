// Which Python runs the trainer: the seaLens.pythonPath setting, else the interpreter selected in the
// Python extension (ms-python.python `environments` API), else python3/python on PATH.

import * as vscode from 'vscode';
import { findPython, pythonCandidates, type PythonInfo } from '../../training/pythonInterpreter';

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

export async function resolveTrainingPython(): Promise<PythonInfo> {
  const setting = vscode.workspace.getConfiguration('seaLens').get<string>('pythonPath', '').trim();
  const candidates = setting ? [setting] : [...new Set([...(await fromPythonExtension().then((p) => (p ? [p] : []))), ...pythonCandidates(undefined)])];
  return findPython(candidates);
}
