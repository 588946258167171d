// `npm test`: every test of the project, in order — types, TypeScript unit tests (node:test), the
// Python trainer's tests (pytest), and real VS Code (code-server driven by Playwright). Every suite runs
// even when an earlier one fails, so one run shows everything that is broken.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from './ensure-system.mjs';
import { ensurePythonEnv, venvPython } from './ensure-python.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2); // e.g. `npm test -- unit python`

const unitFiles = readdirSync(path.join(root, 'test', 'unit'))
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => path.join('test', 'unit', f));

const suites = [
  // The root tsconfig.json references every folder's project (src, webview, test, bench, scripts).
  { name: 'types', cmd: 'npx', args: ['tsc', '-b'] },
  // eslint.config.mjs: layer boundaries (no vscode outside the extension host, webview only its own code
  // and src/shared) and a few rules that catch real mistakes.
  { name: 'lint', cmd: 'npx', args: ['eslint', '.'] },
  { name: 'unit', cmd: process.execPath, args: ['--import', 'tsx', '--test', '--test-concurrency=1', ...unitFiles] },
  { name: 'python', cmd: '/usr/bin/python3', args: ['-m', 'pytest', 'python/tests', '-q'] },
  // The pinned recent torch + transformers in .venv (python/requirements-hf.txt); skips when it could not be installed.
  { name: 'python-hf', cmd: venvPython(), args: ['-m', 'pytest', 'python/tests_hf', 'python/tests/test_runner_hf.py', '-q'], needsVenv: true },
  { name: 'e2e', cmd: process.execPath, args: ['--import', 'tsx', 'test/e2e/run-code-server.ts'] },
  // VS Code desktop through @vscode/test-electron: needs a download, so it skips (saying why) offline.
  { name: 'e2e-electron', cmd: process.execPath, args: ['--import', 'tsx', '--test', 'test/e2e/electron.test.ts'] },
];

ensureSystemPackages();
const venv = only.length === 0 || only.some((o) => 'python-hf'.startsWith(o)) ? ensurePythonEnv() : { ok: false, reason: 'not asked for' };

const results = [];
for (const suite of suites) {
  if (only.length > 0 && !only.some((o) => suite.name.startsWith(o))) continue;
  if (suite.needsVenv && !venv.ok) {
    console.log(`\n=== ${suite.name}: skipped — ${venv.reason}`);
    results.push({ name: suite.name, ok: true, seconds: 0, skipped: venv.reason });
    continue;
  }
  console.log(`\n=== ${suite.name}: ${suite.cmd} ${suite.args.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(suite.cmd, suite.args, { cwd: root, stdio: 'inherit', env: process.env });
  const ok = r.status === 0;
  results.push({ name: suite.name, ok, seconds: (Date.now() - started) / 1000, status: r.status ?? r.signal });
}

console.log('\n=== summary');
for (const r of results) console.log(`${r.skipped ? 'skip' : r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(14)} ${r.seconds.toFixed(1)} s${r.ok ? '' : ` (exit ${r.status})`}${r.skipped ? ` (${r.skipped})` : ''}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`suites: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
