// Finds and checks the Python that runs the trainer: torch installed and recent enough, onnx present
// (the pack's graphs run through it), and the sealens package on the path. Failures say exactly what to
// install or which setting to change.
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
  constructor(message: string, readonly fix: string) {
    super(`${message} ${fix}`);
    this.name = 'PythonError';
  }
}

export interface PythonInfo {
  executable: string;
  python: string;
  /** Installed version, or 'unknown' when torch has no package metadata (the trainer checks it then). */
  torch: string;
  /** Not known before the trainer imports torch: see the `environment` progress event. */
  cuda: boolean | null;
  onnx: string | null;
  transformers: string | null;
}

const PROBE = [
  'import json, sys, importlib.util as u',
  'def ver(n):\n try:\n  from importlib.metadata import version\n  return version(n)\n except Exception:\n  return "unknown"',
  'def find(n):\n try:\n  return u.find_spec(n) is not None\n except Exception:\n  return False',
  'out = {"python": sys.version.split()[0], "executable": sys.executable}',
  'for m in ("torch", "onnx", "transformers"):\n out[m] = ver(m) if find(m) else None',
  'print(json.dumps(out))',
].join('\n');

export function versionAtLeast(v: string, min: [number, number]): boolean {
  if (v === 'unknown') return true; // no package metadata: the trainer checks the imported version
  const [a, b] = v.split(/[.+a-z]/i).map((x) => parseInt(x, 10));
  return a > min[0] || (a === min[0] && (b ?? 0) >= min[1]);
}

/** Candidates in order: the explicit setting, then the platform's usual names. */
export function pythonCandidates(setting: string | undefined, platform = process.platform): string[] {
  if (setting?.trim()) return [setting.trim()];
  return platform === 'win32' ? ['python', 'py'] : ['python3', 'python'];
}

export function probePython(executable: string, timeoutMs = 60_000, env: NodeJS.ProcessEnv = process.env): Promise<PythonInfo> {
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
      if (typeof info.torch !== 'string') {
        reject(new PythonError(`PyTorch is not importable in ${executable} (not installed there).`,
          `Install it into that interpreter: \`${executable} -m pip install "torch>=${MIN_TORCH.join('.')}" onnx numpy pillow\` (Debian/Ubuntu: \`apt install python3-torch python3-onnx python3-pil\`).`));
        return;
      }
      if (!versionAtLeast(info.torch, MIN_TORCH)) {
        reject(new PythonError(`${executable} has PyTorch ${info.torch}; the trainer needs ${MIN_TORCH.join('.')} or newer.`, `Upgrade it: \`${executable} -m pip install -U "torch>=${MIN_TORCH.join('.')}"\`.`));
        return;
      }
      if (typeof info.onnx !== 'string') {
        reject(new PythonError(`The onnx package is not importable in ${executable}; the trainer reads the pack's ONNX graphs with it.`, `Install it: \`${executable} -m pip install onnx\` (Debian/Ubuntu: \`apt install python3-onnx\`).`));
        return;
      }
      resolve({ executable: String(info.executable || executable), python: py, torch: info.torch, cuda: null, onnx: info.onnx, transformers: typeof info.transformers === 'string' ? info.transformers : null });
    });
  });
}

// Probe results per candidate, valid while the resolved interpreter file keeps its size and mtime
// (a reinstalled or replaced interpreter is probed again). Failures are never cached.
const probeCache = new Map<string, { stamp: string; info: PythonInfo }>();

function fileStamp(file: string): string | undefined {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** probePython, remembered per interpreter path + size + mtime. */
export async function probePythonCached(executable: string): Promise<PythonInfo> {
  const hit = probeCache.get(executable);
  if (hit && fileStamp(hit.info.executable) === hit.stamp) return hit.info;
  const info = await probePython(executable);
  const stamp = fileStamp(info.executable);
  if (stamp) probeCache.set(executable, { stamp, info });
  return info;
}

/** The first candidate that passes the probe; the error of the last one otherwise. */
export async function findPython(candidates: string[]): Promise<PythonInfo> {
  let last: unknown;
  for (const c of candidates) {
    try {
      return await probePythonCached(c);
    } catch (e) {
      last = e;
    }
  }
  throw last ?? new PythonError('No Python interpreter found.', 'Set seaLens.pythonPath.');
}

/** Folder that holds the `sealens` package (python/ of the installation). */
export function trainerPythonPath(installDir: string): string {
  const dir = path.join(installDir, 'python');
  if (!existsSync(path.join(dir, 'sealens', 'runner', '__main__.py'))) {
    throw new PythonError(`The trainer's Python package is missing from ${dir}.`, 'Reinstall SEA Lens, or run from a checkout of the repository.');
  }
  return dir;
}
