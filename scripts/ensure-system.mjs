// System packages that the Python tests and the real-VS-Code tests need on a Debian machine of ours:
// Debian's PyTorch (CPU) with an optimised BLAS, ONNX, pytest, PIL; Chromium for Playwright; the
// headers and ripgrep that code-server's offline install needs. Installed with apt-get when we are root
// and they are missing; otherwise we say what is missing and the tests that need it skip with that message.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES = [
  'python3-torch', 'python3-onnx', 'python3-pytest', 'python3-numpy', 'python3-pil', 'python3-scipy', 'python3-jsonschema', 'slurm-wlm', 'munge',
  'libopenblas0-pthread', 'chromium', 'libkrb5-dev', 'ripgrep',
];

function missingPackages() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...PACKAGES], { encoding: 'utf8' });
  const installed = new Set(
    (r.stdout ?? '').split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]),
  );
  return PACKAGES.filter((p) => !installed.has(p));
}

export function ensureSystemPackages() {
  if (!existsSync('/usr/bin/dpkg-query')) {
    console.warn('ensure-system: not a Debian system; Python and VS Code tests skip where their tools are missing.');
    return;
  }
  const missing = missingPackages();
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.warn(`ensure-system: missing Debian packages: ${missing.join(' ')}\n  install them with: sudo apt-get install ${missing.join(' ')}`);
    return;
  }
  console.log(`ensure-system: installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
  if (r.status !== 0) console.warn(`ensure-system: apt-get install failed (exit ${r.status}); dependent tests will skip.`);
}

if (import.meta.url === `file://${process.argv[1]}`) ensureSystemPackages();
