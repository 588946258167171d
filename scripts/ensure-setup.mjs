// First step of `npm run demo`, `npm test` and `npm run bench` on a fresh clone: install the npm
// dependencies when they are missing or stale, then build the bundles.
// Uses nothing but Node itself, because it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args, extraEnv = {}) {
  console.log(`> ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  if (r.status !== 0) {
    console.error(`ensure-setup: \`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 9)) {
  console.error(`SEA Lens needs Node.js >= 20.9 (this is ${process.versions.node}).`);
  process.exit(1);
}

// npm records what it installed in node_modules/.package-lock.json; reinstall when the lock file moved on.
const installed = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
if (!existsSync(installed) || statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
  // onnxruntime-node's install script would fetch a CUDA provider from the network; the bundled CPU and
  // WebGPU providers need nothing more. Users who want CUDA set ONNXRUNTIME_NODE_INSTALL=cuda12 themselves.
  run('npm', ['ci', '--no-audit', '--no-fund'], { ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL ?? 'skip' });
}

// esbuild takes a second or two: always rebuild rather than guess whether the bundles are stale.
run('node', ['esbuild.mjs']);
