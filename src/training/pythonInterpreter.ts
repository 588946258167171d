// Finds and checks the Python that runs the trainer: torch importable and recent enough, onnx present
// (the pack's graphs run through it), and the sealens package on the path. Failures say exactly what to
// install or which setting to change.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  torch: string;
  cuda: boolean;
  onnx: string | null;
  transformers: string | null;
}

const PROBE = [
  'import json, sys',
  'out = {"python": sys.version.split()[0], "executable": sys.executable}',
  'try:\n import torch\n out["torch"] = torch.__version__; out["cuda"] = bool(torch.cuda.is_available())\nexcept Exception as e:\n out["torchError"] = repr(e)',
  'for m in ("onnx", "transformers"):\n try:\n  out[m] = __import__(m).__version__\n except Exception:\n  out[m] = None',
  'print(json.dumps(out))',
].join('\n');

function versionAtLeast(v: string, min: [number, number]): boolean {
  const [a, b] = v.split(/[.+a-z]/i).map((x) => parseInt(x, 10));
  return a > min[0] || (a === min[0] && (b ?? 0) >= min[1]);
}

/** Candidates in order: the explicit setting, then the platform's usual names. */
export function pythonCandidates(setting: string | undefined, platform = process.platform): string[] {
  if (setting?.trim()) return [setting.trim()];
  return platform === 'win32' ? ['python', 'py'] : ['python3', 'python'];
}

export function probePython(executable: string, timeoutMs = 60_000): Promise<PythonInfo> {
  return new Promise((resolve, reject) => {
    execFile(executable, ['-c', PROBE], { timeout: timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
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
        reject(new PythonError(`PyTorch is not importable in ${executable} (${String(info.torchError ?? 'not installed')}).`,
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
      resolve({ executable: String(info.executable || executable), python: py, torch: info.torch, cuda: info.cuda === true, onnx: info.onnx, transformers: typeof info.transformers === 'string' ? info.transformers : null });
    });
  });
}

/** The first candidate that passes the probe; the error of the last one otherwise. */
export async function findPython(candidates: string[]): Promise<PythonInfo> {
  let last: unknown;
  for (const c of candidates) {
    try {
      return await probePython(c);
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
