// Checks one Python for a task: the trainer needs torch (recent enough) and onnx (the pack's graphs run
// through it), `pack init` transformers too; and the sealens package on the path. Failures say exactly
// what to install or which setting to change. Which interpreter to check is pythonDiscovery.ts's job.
//
// The probe never imports torch (seconds on a cold disk, and the trainer imports it again anyway): it asks
// importlib where the packages are and reads their installed versions from the package metadata. The
// trainer re-checks the versions it really imports and reports them as its first progress line
// (`environment` event; exit code 6 when unsupported), so nothing is lost by keeping this cheap.

import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

export const MIN_TORCH: [number, number] = [1, 13];
export const MIN_PYTHON: [number, number] = [3, 9];

export class PythonError extends Error {
  /** What is wrong, without the fix (discovery lists it as the reason a candidate was skipped). */
  readonly problem: string;
  constructor(problem: string, readonly fix: string) {
    super(`${problem} ${fix}`);
    this.name = 'PythonError';
    this.problem = problem;
  }
}

export interface PythonInfo {
  /** The interpreter as given (a venv's bin/python, a shim on PATH): what the trainer is started with. */
  executable: string;
  /** sys.executable as that interpreter reports it (the real binary behind a shim or symlink). */
  sysExecutable: string;
  python: string;
  /** Installed version, 'unknown' when torch has no package metadata (the trainer checks it then), null when absent. */
  torch: string | null;
  /** Not known before the trainer imports torch: see the `environment` progress event. */
  cuda: boolean | null;
  onnx: string | null;
  transformers: string | null;
  jsonschema: string | null;
}

const PROBE = [
  'import json, sys, importlib.util as u',
  'def ver(n):\n try:\n  from importlib.metadata import version\n  return version(n)\n except Exception:\n  return "unknown"',
  'def find(n):\n try:\n  return u.find_spec(n) is not None\n except Exception:\n  return False',
  'out = {"python": sys.version.split()[0], "executable": sys.executable}',
  'for m in ("torch", "onnx", "transformers", "jsonschema"):\n out[m] = ver(m) if find(m) else None',
  'print(json.dumps(out))',
].join('\n');

export function versionAtLeast(v: string, min: [number, number]): boolean {
  if (v === 'unknown') return true; // no package metadata: the trainer checks the imported version
  const [a, b] = v.split(/[.+a-z]/i).map((x) => parseInt(x, 10));
  return a > min[0] || (a === min[0] && (b ?? 0) >= min[1]);
}

/** The packages a task needs in its interpreter: the trainer needs torch + onnx + jsonschema (it checks its config
 * against schemas/run-config.schema.json), `pack init` transformers too. */
export type PythonModule = 'torch' | 'onnx' | 'transformers' | 'jsonschema';
export interface PythonNeed {
  /** Who needs them, for messages: "the trainer", "pack init". */
  task: string;
  modules: readonly PythonModule[];
}
export const TRAINING_NEED: PythonNeed = Object.freeze({ task: 'the trainer', modules: Object.freeze(['torch', 'onnx', 'jsonschema'] as PythonModule[]) });
export const PACK_INIT_NEED: PythonNeed = Object.freeze({ task: 'pack init', modules: Object.freeze(['torch', 'onnx', 'transformers'] as PythonModule[]) });

const WHY: Record<PythonModule, string> = {
  torch: 'PyTorch',
  onnx: 'onnx',
  transformers: 'transformers',
  jsonschema: 'jsonschema',
};
const PIP: Record<PythonModule, string> = { torch: `"torch>=${MIN_TORCH.join('.')}"`, onnx: 'onnx', transformers: 'transformers', jsonschema: 'jsonschema' };
// Debian/Ubuntu packages where the distribution has one (transformers is not packaged there).
const APT: Partial<Record<PythonModule, string>> = { torch: 'python3-torch', onnx: 'python3-onnx', jsonschema: 'python3-jsonschema' };

/** The pip (and apt, where there is a package) command that installs `modules` into `executable`. */
export function installCommand(executable: string, modules: readonly PythonModule[]): string {
  const pip = `\`${executable} -m pip install ${[...modules.map((m) => PIP[m]), ...(modules.includes('torch') ? ['numpy', 'pillow'] : [])].join(' ')}\``;
  const apt = modules.every((m) => APT[m]) ? ` (Debian/Ubuntu system Python: \`apt install ${modules.map((m) => APT[m]).join(' ')} python3-pil\`)` : '';
  return pip + apt;
}

/** Why `info` cannot serve `need` (the first missing or too old package), or undefined when it can. */
export function unmetNeed(info: PythonInfo, need: PythonNeed): PythonError | undefined {
  const exe = info.executable;
  const missing = need.modules.filter((m) => info[m] === null);
  if (missing.length) {
    const w = missing.map((m) => WHY[m]);
    const names = w.length > 1 ? `${w.slice(0, -1).join(', ')} and ${w[w.length - 1]}` : w[0];
    const many = missing.length > 1;
    const problem = `${names} ${many ? 'are' : 'is'} not importable in ${exe} (not installed there); ${need.task} needs ${many ? 'them' : 'it'}.`;
    return new PythonError(problem, `Install ${many ? 'them' : 'it'} into that interpreter: ${installCommand(exe, missing)}.`);
  }
  if (need.modules.includes('torch') && !versionAtLeast(info.torch ?? 'unknown', MIN_TORCH)) {
    return new PythonError(`${exe} has PyTorch ${info.torch}; ${need.task} needs ${MIN_TORCH.join('.')} or newer.`, `Upgrade it: \`${exe} -m pip install -U "torch>=${MIN_TORCH.join('.')}"\`.`);
  }
  return undefined;
}

/**
 * Runs the cheap probe: which Python, and the installed versions of torch, onnx and transformers (null when
 * not importable). Rejects only when the interpreter does not start, does not answer, or is too old.
 */
export function probeInterpreter(executable: string, timeoutMs = 60_000, env: NodeJS.ProcessEnv = process.env): Promise<PythonInfo> {
  return new Promise((resolve, reject) => {
    execFile(executable, ['-c', PROBE], { timeout: timeoutMs, windowsHide: true, env }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        reject(new PythonError(
          code === 'ENOENT' ? `No Python interpreter at "${executable}".` : `"${executable}" failed to start (${String(stderr || err.message).trim().slice(0, 300)}).`,
          'Set seaLens.pythonPath (or the --python option) to a Python 3.9+ with PyTorch ≥ 1.13, or select one with the Python extension.',
        ));
        return;
      }
      let info: Record<string, unknown>;
      try {
        info = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      } catch {
        reject(new PythonError(`"${executable}" did not answer the version probe (output: ${stdout.slice(0, 200)}).`, 'Point seaLens.pythonPath at a CPython interpreter.'));
        return;
      }
      const py = String(info.python);
      if (!versionAtLeast(py, MIN_PYTHON)) {
        reject(new PythonError(`${executable} is Python ${py}; the trainer needs ${MIN_PYTHON.join('.')} or newer.`, 'Install a newer Python and set seaLens.pythonPath to it.'));
        return;
      }
      const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
      // The candidate path, not sys.executable: a wrapper script (a shim, `env -i … python -S`) may run the
      // same binary with another environment, and the trainer must be started the way the probe was.
      resolve({ executable, python: py, torch: str(info.torch), cuda: null, onnx: str(info.onnx), transformers: str(info.transformers), jsonschema: str(info.jsonschema), sysExecutable: String(info.executable || executable) });
    });
  });
}

/** The probe plus the trainer's requirements (torch ≥ 1.13 and onnx): rejects with the install command. */
export async function probePython(executable: string, timeoutMs = 60_000, env: NodeJS.ProcessEnv = process.env, need: PythonNeed = TRAINING_NEED): Promise<PythonInfo> {
  const info = await probeInterpreter(executable, timeoutMs, env);
  const unmet = unmetNeed(info, need);
  if (unmet) throw unmet;
  return info;
}

// Probe results per interpreter, valid while both the candidate file (a venv link, a shim) and the binary it
// runs keep their size and mtime: a reinstalled or replaced interpreter is probed again. Only successful
// probes are kept (a missing package may be installed a minute later).
const probeCache = new Map<string, { stamp: string; info: PythonInfo }>();

function fileStamp(file: string): string | undefined {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

const stampOf = (info: PythonInfo): string | undefined => {
  const a = fileStamp(info.executable);
  const b = fileStamp(info.sysExecutable);
  return a && b ? `${a}|${b}` : undefined;
};

/** probeInterpreter, remembered per absolute interpreter path + size + mtime (and the same for sys.executable). */
export async function probeInterpreterCached(executable: string, timeoutMs?: number): Promise<PythonInfo> {
  const hit = probeCache.get(executable);
  if (hit && stampOf(hit.info) === hit.stamp) return hit.info;
  const info = await probeInterpreter(executable, timeoutMs);
  const stamp = path.isAbsolute(executable) ? stampOf(info) : undefined; // a bare name depends on PATH
  if (stamp) probeCache.set(executable, { stamp, info });
  return info;
}

/** Folder that holds the `sealens` package (python/ of the installation). */
export function trainerPythonPath(installDir: string): string {
  const dir = path.join(installDir, 'python');
  if (!existsSync(path.join(dir, 'sealens', 'runner', '__main__.py'))) {
    throw new PythonError(`The trainer's Python package is missing from ${dir}.`, 'Reinstall SEA Lens, or run from a checkout of the repository.');
  }
  return dir;
}
