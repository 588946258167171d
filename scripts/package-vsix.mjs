#!/usr/bin/env node
// Builds a platform-specific .vsix: `node scripts/package-vsix.mjs [--target linux-x64] [--out FILE]`.
// Installing a .vsix runs no npm scripts, so what is in node_modules at packaging time is what ships.
// onnxruntime-node carries binaries for every OS (≈290 MB) and sharp one package per platform: the
// folders of other platforms are moved aside while vsce runs and restored afterwards (also after a
// crash: a leftover stash is restored at the next start).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nm = path.join(root, 'node_modules');
const stash = path.join(root, '.vscode-test', 'package-stash');
const stashIndex = path.join(stash, 'index.json');
const TARGETS = ['win32-x64', 'win32-arm64', 'linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'];

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function restore() {
  if (!existsSync(stashIndex)) return;
  const moved = JSON.parse(readFileSync(stashIndex, 'utf8'));
  for (const { from, to } of moved) if (existsSync(to) && !existsSync(from)) renameSync(to, from);
  rmSync(stash, { recursive: true, force: true });
  console.log(`package-vsix: restored ${moved.length} pruned folder(s)`);
}

/** Folders of node_modules that belong to platforms other than `target`. */
function foreignFolders(target) {
  const [os, cpu] = target.split('-');
  const out = [];
  const ort = path.join(nm, 'onnxruntime-node', 'bin');
  if (existsSync(ort)) {
    for (const napi of readdirSync(ort)) {
      for (const o of readdirSync(path.join(ort, napi))) {
        const osDir = path.join(ort, napi, o);
        if (o !== os) out.push(osDir);
        else for (const a of readdirSync(osDir)) if (a !== cpu) out.push(path.join(osDir, a));
      }
    }
  }
  const img = path.join(nm, '@img');
  if (existsSync(img)) {
    for (const p of readdirSync(img)) {
      const m = /^sharp-(?:libvips-)?(?:wasm32|([a-z0-9]+)-([a-z0-9]+))$/.exec(p);
      if (!m) continue;
      const plat = m[1] === 'linuxmusl' ? 'linux-musl' : m[1];
      if (plat !== os || m[2] !== cpu) out.push(path.join(img, p));
    }
  }
  return out;
}

function prune(target) {
  const moved = [];
  mkdirSync(stash, { recursive: true });
  try {
    for (const from of foreignFolders(target)) {
      const to = path.join(stash, String(moved.length));
      renameSync(from, to);
      moved.push({ from, to });
    }
  } finally {
    writeFileSync(stashIndex, JSON.stringify(moved));
  }
  return moved.length;
}

function checkNative(target) {
  const [os, cpu] = target.split('-');
  const missing = [];
  if (!readdirSync(path.join(nm, 'onnxruntime-node', 'bin')).some((napi) => existsSync(path.join(nm, 'onnxruntime-node', 'bin', napi, os, cpu)))) missing.push(`onnxruntime-node binaries for ${os}/${cpu}`);
  if (!existsSync(path.join(nm, '@img', `sharp-${os}-${cpu}`))) missing.push(`@img/sharp-${os}-${cpu} (install it with: npm install --os=${os} --cpu=${cpu} sharp)`);
  return missing;
}

function main() {
  restore();
  const target = arg('--target', `${process.platform}-${process.arch}`);
  if (!TARGETS.includes(target)) throw new Error(`unknown --target "${target}"; valid: ${TARGETS.join(', ')}`);
  const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const out = path.resolve(arg('--out', path.join(root, `sea-lens-${target}-${version}.vsix`)));
  const missing = checkNative(target);
  if (missing.length) throw new Error(`cannot package for ${target}; node_modules lacks ${missing.join(' and ')}`);
  if (!process.argv.includes('--no-build')) run('node', ['esbuild.mjs', '--production']);
  for (const f of ['extension.js', 'engineProcess.js', 'webview/explain.js']) {
    if (!existsSync(path.join(root, 'dist', f))) throw new Error(`dist/${f} is missing after the build`);
  }
  const t0 = Date.now();
  const n = prune(target);
  console.log(`package-vsix: moved ${n} folder(s) of other platforms aside`);
  const onSignal = () => {
    restore();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    mkdirSync(path.dirname(out), { recursive: true });
    run(path.join(nm, '.bin', 'vsce'), ['package', '--target', target, '--out', out, '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links']);
  } finally {
    restore();
  }
  const mb = (statSync(out).size / 1024 / 1024).toFixed(1);
  console.log(`package-vsix: ${out} (${target}, ${mb} MB, packaged in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

try {
  main();
} catch (e) {
  restore();
  console.error(`package-vsix: ${e.message}`);
  process.exit(1);
}
