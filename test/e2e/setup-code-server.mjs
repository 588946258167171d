#!/usr/bin/env node
// Installs code-server (real VS Code: workbench + Node extension host, served to a browser) into
// .vscode-test/code-server without any network except the npm registry and Debian's apt.
//
// Why the steps: code-server's post-install builds native modules (kerberos needs libkrb5-dev; node-pty
// runs `npx node-gyp`, hence npm_config_yes) and installs @vscode/ripgrep, whose own post-install
// downloads `rg` from a code host. We pre-seed that package's download cache with Debian's `rg`, reading
// the version and asset name from the package itself so that a newer code-server keeps working.
//
// Idempotent: when the pinned version is installed and its `rg` is present, it returns in milliseconds.
// Usage: node test/e2e/setup-code-server.mjs  → prints the path of the code-server entry script.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir, arch, platform } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const installDir = path.join(root, '.vscode-test', 'code-server');
export const codeServerEntry = path.join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

function log(msg) {
  process.stderr.write(`[setup-code-server] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  // The child's stdout goes to our stderr: our stdout carries only the entry path, read by the harness.
  const r = spawnSync(cmd, args, { stdio: ['ignore', 2, 'inherit'], timeout: 15 * 60_000, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}); see the output above`);
}

function installedVersion() {
  const pj = path.join(installDir, 'node_modules', 'code-server', 'package.json');
  if (!existsSync(pj)) return null;
  return JSON.parse(readFileSync(pj, 'utf8')).version;
}

function nativeModulesPresent() {
  return existsSync(path.join(installDir, 'node_modules', 'argon2', 'lib', 'binding'));
}

function ripgrepBinaryPresent() {
  return existsSync(path.join(installDir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'));
}

function ensureDebianPackages() {
  const missing = [];
  if (spawnSync('dpkg', ['-s', 'libkrb5-dev'], { stdio: 'ignore' }).status !== 0) missing.push('libkrb5-dev');
  if (spawnSync('dpkg', ['-s', 'ripgrep'], { stdio: 'ignore' }).status !== 0) missing.push('ripgrep');
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Debian packages missing: ${missing.join(', ')}. Install them: sudo apt-get install -y ${missing.join(' ')}`);
  }
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Reads the ripgrep release version and asset name that @vscode/ripgrep's post-install will look for. */
function ripgrepAsset(pkgDir) {
  const post = readFileSync(path.join(pkgDir, 'lib', 'postinstall.js'), 'utf8');
  const dl = readFileSync(path.join(pkgDir, 'lib', 'download.js'), 'utf8');
  const pkgVersion = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  const version = /const VERSION = ['"]([^'"]+)['"]/.exec(post)?.[1];
  const a = arch() === 'x64' ? 'x64' : arch();
  const target = new RegExp(`case 'linux':[\\s\\S]*?arch === '${a}' \\? '([^']+)'`).exec(post)?.[1];
  if (!version || !target) throw new Error(`could not read VERSION / linux ${a} target from ${pkgDir}/lib/postinstall.js`);
  if (!dl.includes(`['ripgrep', opts.version, opts.target].join('-')`) || !dl.includes('vscode-ripgrep-cache-${packageVersion}')) {
    throw new Error(`${pkgDir}/lib/download.js names its asset or cache differently than this script expects; update setup-code-server.mjs`);
  }
  return { cacheDir: path.join(tmpdir(), `vscode-ripgrep-cache-${pkgVersion}`), asset: `ripgrep-${version}-${target}.tar.gz` };
}

/** The @vscode/ripgrep version pinned by code-server's bundled VS Code, fetched (not installed) to read its scripts. */
function seedRipgrepCache() {
  const shrink = JSON.parse(readFileSync(path.join(installDir, 'node_modules', 'code-server', 'lib', 'vscode', 'npm-shrinkwrap.json'), 'utf8'));
  const rgVersion = shrink.packages?.['node_modules/@vscode/ripgrep']?.version;
  if (!rgVersion) throw new Error('lib/vscode/npm-shrinkwrap.json pins no @vscode/ripgrep version');
  const work = mkdtempSync(path.join(tmpdir(), 'sealens-rg-'));
  try {
    execFileSync('npm', ['pack', `@vscode/ripgrep@${rgVersion}`, '--pack-destination', work], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    execFileSync('tar', ['xzf', path.join(work, tgz), '-C', work]);
    const { cacheDir, asset } = ripgrepAsset(path.join(work, 'package'));
    const dest = path.join(cacheDir, asset);
    if (existsSync(dest)) return log(`ripgrep cache already seeded: ${dest}`);
    mkdirSync(cacheDir, { recursive: true });
    const stage = path.join(work, 'stage');
    mkdirSync(stage);
    copyFileSync('/usr/bin/rg', path.join(stage, 'rg'));
    chmodSync(path.join(stage, 'rg'), 0o755);
    execFileSync('tar', ['czf', dest, '-C', stage, 'rg']);
    log(`seeded ${dest} with Debian's rg`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function setupCodeServer() {
  if (installedVersion() === CODE_SERVER_VERSION && ripgrepBinaryPresent() && nativeModulesPresent() && existsSync(codeServerEntry)) return codeServerEntry;
  if (platform() !== 'linux') throw new Error('setup-code-server.mjs automates the offline install on Linux only; install code-server yourself and set CODE_SERVER_ENTRY');
  if (Number(process.versions.node.split('.')[0]) !== 20) throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20; this is Node ${process.versions.node}`);
  ensureDebianPackages();
  rmSync(installDir, { recursive: true, force: true });
  mkdirSync(installDir, { recursive: true });
  const env = { ...process.env, npm_config_yes: 'true', npm_config_unsafe_perm: 'true', npm_config_fund: 'false', npm_config_audit: 'false' };
  // Scripts off first, so that we can read the pinned @vscode/ripgrep before its post-install runs.
  run('npm', ['install', '--prefix', installDir, '--ignore-scripts', '--no-save', `code-server@${CODE_SERVER_VERSION}`], { env });
  seedRipgrepCache();
  // Every package's install scripts (argon2's native build, then code-server's own post-install).
  run('npm', ['rebuild', '--prefix', installDir, '--unsafe-perm', '--foreground-scripts'], { env });
  if (!ripgrepBinaryPresent()) throw new Error('code-server installed but @vscode/ripgrep has no bin/rg; see the output above');
  return codeServerEntry;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  try {
    const entry = setupCodeServer();
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.stdout.write(entry + '\n');
  } catch (e) {
    log(`FAILED: ${e.message}`);
    process.exit(1);
  }
}
