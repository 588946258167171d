// The same extension in VS Code desktop (Electron) through @vscode/test-electron, for machines with
// network: it downloads VS Code at test time. Without network (or without a display on Linux) it SKIPS
// and says why; the offline suite in real VS Code is `npm run test:e2e` (code-server).
// Run: node --import tsx --test test/e2e/electron.test.ts   (VSCODE_EXECUTABLE=… uses a local VS Code)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const PROBE_URL = 'https://update.code.visualstudio.com/api/releases/stable';

async function probe(): Promise<string | undefined> {
  try {
    const res = await fetch(PROBE_URL, { signal: AbortSignal.timeout(4000) });
    return res.ok ? undefined : `${PROBE_URL} answered HTTP ${res.status}`;
  } catch (e) {
    return `${PROBE_URL} is unreachable (${(e as Error).cause ?? (e as Error).message})`;
  }
}

function displayProblem(): string | undefined {
  if (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return undefined;
  return 'no DISPLAY on Linux: run under xvfb-run (Debian package xvfb)';
}

test('VS Code desktop: "SEA Lens: Explain Visual Tokens" opens the view for an image', { timeout: 15 * 60_000 }, async (t) => {
  const local = process.env.VSCODE_EXECUTABLE;
  const why = (local ? (existsSync(local) ? undefined : `VSCODE_EXECUTABLE=${local} does not exist`) : await probe()) ?? displayProblem();
  if (why) {
    const msg = `SKIP: VS Code desktop is not available here — ${why}. The offline real-VS-Code suite is \`npm run test:e2e\` (code-server).`;
    console.log(msg);
    t.skip(msg);
    return;
  }
  const { runTests, downloadAndUnzipVSCode } = await import('@vscode/test-electron');
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  assert.equal(build.status, 0, 'npm run build failed');
  const suiteDir = path.join(root, '.vscode-test', 'electron-suite');
  mkdirSync(suiteDir, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({ entryPoints: [path.join(__dirname, 'electron', 'suite.ts')], outfile: path.join(suiteDir, 'index.js'), bundle: true, platform: 'node', format: 'cjs', external: ['vscode'] });
  const workspace = mkdtempSync(path.join(tmpdir(), 'sealens-electron-'));
  const samples = path.join(root, 'media', 'samples');
  const sample = existsSync(samples) ? readdirSync(samples).find((f) => f.endsWith('.png')) : undefined;
  assert.ok(sample, 'media/samples/*.png is needed for the desktop suite (the demo pack build makes it)');
  copyFileSync(path.join(samples, sample), path.join(workspace, sample));
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'seaLens.device': 'cpu' }));
  const vscodeExecutablePath = local ?? (await downloadAndUnzipVSCode({ version: '1.100.3', timeout: 60_000 }));
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(suiteDir, 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    extensionTestsEnv: { SEALENS_SAMPLE: path.join(workspace, sample) },
  });
});
