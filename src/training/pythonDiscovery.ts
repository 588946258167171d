// Which Python runs the trainer or `pack init`: one discovery for the CLI and the extension. An explicit
// choice (seaLens.pythonPath, --python, $SEALENS_PYTHON) is used as it is and is an error when it lacks a
// package. Otherwise the candidates are tried in order — the Python extension's interpreter (extension
// only), the project's .venv, the active conda env, python3, python, the system /usr/bin/python3 — and the
// first that has what the task needs is used; the others are listed with the reason they were skipped.
// Why so many: on a fresh machine the first python3 on PATH is often a version manager's shim without
// torch while the distribution's interpreter has it (or the reverse).

import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { probeInterpreterCached, PythonError, unmetNeed, installCommand, type PythonInfo, type PythonNeed } from './pythonInterpreter';

export type CandidateSource = 'flag' | 'env' | 'setting' | 'python-extension' | 'venv' | 'conda' | 'path' | 'system';

export interface PythonCandidate {
  executable: string;
  source: CandidateSource;
  /** Where it came from, for people: "--python", "python3 on PATH", ".venv in /work/proj". */
  label: string;
}

export interface CandidateOptions {
  /** --python (CLI) or seaLens.pythonPath (extension); empty = not set. */
  explicit?: { executable: string; source: 'flag' | 'setting' };
  /** The Python extension's selected interpreter (extension only). */
  pythonExtension?: string;
  /** Folders whose `.venv` is a candidate: the workspace folders, or the CLI's checkout/install folder. */
  projectDirs?: string[];
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** An executable file named `name` on PATH (with PATHEXT on Windows), or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const exts = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.BAT;.CMD').split(';')] : [''];
  for (const dir of (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : ':')) {
    if (!dir) continue;
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      try {
        if (!statSync(file).isFile()) continue;
        accessSync(file, constants.X_OK);
        return file;
      } catch { /* not here */ }
    }
  }
  return undefined;
}

const venvPython = (dir: string, platform: NodeJS.Platform): string =>
  platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');

const exists = (f: string): boolean => {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
};

/**
 * The candidates in the order they are tried. With an explicit choice (--python, the setting, else
 * $SEALENS_PYTHON) that one alone. Others that do not exist here are left out; the same file reached twice
 * (python3 and python linking to one binary) is tried once.
 */
export function pythonCandidates(o: CandidateOptions = {}): PythonCandidate[] {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  const explicit = o.explicit?.executable.trim();
  if (explicit) return [{ executable: explicit, source: o.explicit!.source, label: o.explicit!.source === 'flag' ? '--python' : 'seaLens.pythonPath' }];
  if (env.SEALENS_PYTHON?.trim()) return [{ executable: env.SEALENS_PYTHON.trim(), source: 'env', label: '$SEALENS_PYTHON' }];
  const found: PythonCandidate[] = [];
  const add = (executable: string | undefined, source: CandidateSource, label: string): void => {
    if (executable && exists(executable)) found.push({ executable, source, label });
  };
  add(o.pythonExtension, 'python-extension', "the Python extension's selected interpreter");
  for (const dir of o.projectDirs ?? []) add(venvPython(path.join(dir, '.venv'), platform), 'venv', `.venv in ${dir}`);
  if (env.CONDA_PREFIX) add(platform === 'win32' ? path.join(env.CONDA_PREFIX, 'python.exe') : path.join(env.CONDA_PREFIX, 'bin', 'python'), 'conda', `conda env ${env.CONDA_PREFIX}`);
  for (const name of platform === 'win32' ? ['python', 'py'] : ['python3', 'python']) add(onPath(name, env, platform), 'path', `${name} on PATH`);
  if (platform !== 'win32') add('/usr/bin/python3', 'system', 'the system Python');
  const seen = new Set<string>();
  return found.filter((c) => {
    let key = c.executable;
    try {
      key = realpathSync(c.executable);
    } catch { /* keep the path */ }
    // A venv's bin/python links to its base interpreter but has other packages: compare venvs by path.
    if (c.source === 'venv' || c.source === 'conda' || c.source === 'python-extension') key = `${c.source}:${c.executable}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface SkippedCandidate {
  candidate: PythonCandidate;
  reason: string;
}

export interface Discovery {
  info: PythonInfo;
  candidate: PythonCandidate;
  /** Candidates tried before the one used, each with why it was not used. */
  skipped: SkippedCandidate[];
}

/** No candidate can do the task: lists each with its reason; the fix names the install command. */
export class PythonNotFoundError extends PythonError {
  constructor(need: PythonNeed, readonly skipped: SkippedCandidate[], fix: string) {
    super(
      skipped.length
        ? `No Python here can run ${need.task} (it needs ${need.modules.join(', ')}): ${skipped.map((s) => `${s.candidate.label} (${s.candidate.executable}): ${s.reason}`).join('; ')}.`
        : `No Python interpreter found for ${need.task} (looked for .venv, $CONDA_PREFIX, python3, python and /usr/bin/python3).`,
      fix,
    );
    this.name = 'PythonNotFoundError';
  }
}

const SET_IT = 'or point seaLens.pythonPath / --python / $SEALENS_PYTHON at an interpreter that has them';

/** Probes the candidates in order; the first that has what `need` asks for is used. */
export async function discoverPython(candidates: PythonCandidate[], need: PythonNeed, probe = probeInterpreterCached): Promise<Discovery> {
  const skipped: SkippedCandidate[] = [];
  let firstWorking: PythonInfo | undefined;
  for (const candidate of candidates) {
    const explicit = candidate.source === 'flag' || candidate.source === 'setting' || candidate.source === 'env';
    let info: PythonInfo;
    try {
      info = await probe(candidate.executable);
    } catch (e) {
      if (explicit) throw e;
      skipped.push({ candidate, reason: e instanceof PythonError ? e.problem : String(e) });
      continue;
    }
    const unmet = unmetNeed(info, need);
    if (!unmet) return { info, candidate, skipped };
    // An explicit choice is never passed over silently: its missing package is the error.
    if (explicit) throw new PythonError(`${candidate.label} ${candidate.executable}: ${unmet.problem}`, unmet.fix);
    firstWorking ??= info;
    skipped.push({ candidate, reason: unmet.problem });
  }
  const exe = firstWorking?.executable ?? 'python3';
  throw new PythonNotFoundError(need, skipped, `Install them into one: ${installCommand(exe, need.modules)}, ${SET_IT}.`);
}

/** What the CLI prints and the extension logs: the interpreter used and why the others were skipped. */
export function describeDiscovery(d: Discovery): string[] {
  const i = d.info;
  const versions = [`Python ${i.python}`, i.torch && `torch ${i.torch}`, i.onnx && `onnx ${i.onnx}`, i.transformers && `transformers ${i.transformers}`].filter(Boolean).join(', ');
  return [
    `python: ${i.executable} (${d.candidate.label}; ${versions})`,
    ...d.skipped.map((s) => `  skipped ${s.candidate.label} (${s.candidate.executable}): ${s.reason}`),
  ];
}
