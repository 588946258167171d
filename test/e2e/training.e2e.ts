// Real-VS-Code scenario for SEA fine-tuning (issue 4): in code-server with the packaged extension installed,
// run "SEA Lens: Train SEA Adapter…" from the command palette, answer the guided picks (embedded demo pack,
// the sample images, 1 epoch on the CPU), wait until the run view reports 100 % and "finished", then open
// "Compare Before/After" and check that the compare view draws both overlays (start adapter and trained
// adapter) from the run's pack overlay, also after "Developer: Reload Window", and that the status-bar
// picker lists the trained adapter by run. The code-server harness (run-code-server.ts) starts the server,
// installs the .vsix, opens the workbench on `workspace` and calls this scenario with the page. A
// screenshot goes to .test-artifacts/e2e/training.png either way, so a failure can be seen.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';

export interface TrainingScenarioOptions {
  page: Page;
  /** The repository root (holds media/demo-pack, media/samples and .test-artifacts). */
  root: string;
  /** The folder code-server has open: the run lands in its .sealens/runs, the Python setting in its .vscode. */
  workspace: string;
  /** Interpreter with torch ≥ 1.13, onnx, numpy, pillow; default $SEALENS_PYTHON or /usr/bin/python3. */
  python?: string;
  /** A pack folder to train against (set as seaLens.pack); default: the embedded demo pack. */
  pack?: string;
  /** A folder of training images (chosen in the open dialog); default: the extension's sample images. */
  dataset?: string;
  /** Milliseconds to wait for the training (feature encoding included) to finish. */
  timeoutMs?: number;
}

export interface TrainingScenarioResult {
  runStatus: string;
  patchesA: number;
  patchesB: number;
  titles: [string, string];
  agreement: string;
  /** The agreement the Before/after panel shows after "Developer: Reload Window". */
  restoredAgreement: string;
  /** The trained adapter's label in the status-bar picker ("run <date-time> · <name> · step N"). */
  runAdapter: string;
}

const defaultPython = (): string => process.env.SEALENS_PYTHON ?? '/usr/bin/python3';

/** Returns a skip reason, or undefined when the scenario can run. */
export function trainingScenarioSkip(root: string, python = defaultPython()): string | undefined {
  const manifest = path.join(root, 'media', 'demo-pack', 'manifest.json');
  if (!existsSync(manifest)) return `demo pack missing (${manifest}): the scenario trains on it; build it first (python/sealens/build_pack.py)`;
  if (!existsSync(path.join(root, 'media', 'samples'))) return 'media/samples missing: the scenario trains on the sample images';
  const r = spawnSync(python, ['-c', 'import torch, onnx, PIL'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return `${python} cannot import torch, onnx and PIL (${(r.stderr || String(r.error)).trim().split('\n').pop()}): set SEALENS_PYTHON`;
  return undefined;
}

export async function runTrainingScenario({ page, root, workspace, python = defaultPython(), pack, dataset, timeoutMs = 300_000 }: TrainingScenarioOptions): Promise<TrainingScenarioResult> {
  const shot = path.join(root, '.test-artifacts', 'e2e', 'training.png');
  mkdirSync(path.dirname(shot), { recursive: true });
  try {
    setWorkspaceSetting(workspace, 'seaLens.pythonPath', python);
    if (pack) setWorkspaceSetting(workspace, 'seaLens.pack', pack);
    const outputName = `e2e-${Date.now().toString(36)}`;
    await runCommand(page, 'SEA Lens: Train SEA Adapter…');
    await pickItem(page, '(1/8)', pack ? 'Pack from settings' : 'Embedded demo pack');
    if (dataset) {
      await pickItem(page, '(2/8)', 'Image folder…');
      await chooseInOpenDialog(page, 'Folder of training images', dataset);
    } else await pickItem(page, '(2/8)', 'Sample images');
    const start = await pickItem(page, '(3/8)', undefined); // the pack's first adapter: the "before" side
    await answerInput(page, '(4/8)', undefined);            // λ: the default
    await answerInput(page, '(5/8)', '1');                  // one epoch keeps the run short
    await answerInput(page, '(6/8)', undefined);
    await answerInput(page, '(7/8)', '4');
    await pickItem(page, '(8/8)', 'cpu');
    await answerInput(page, 'Name of the trained adapter', outputName);

    const run = await findWebview(page, '#sealens-training', 60_000);
    await run.locator('h2', { hasText: /— finished$/ }).waitFor({ timeout: timeoutMs });
    const status = (await run.locator('p.status').textContent()) ?? '';
    if (!/\(100 %\)/.test(status)) throw new Error(`the run view says "${status}" after the run finished, not 100 %`);
    const runStatus = (await run.locator('h2').textContent()) ?? '';
    await page.screenshot({ path: path.join(path.dirname(shot), 'training-run.png') });

    await openCompare(page, run);
    const compare = await findWebview(page, '#agreement', 60_000);
    await compare.locator('#agreement', { hasText: 'Agreement' }).waitFor({ timeout: 180_000 });
    // Each overlay says how many tokens it draws (data-tokens); its map carries the pane's accessible name.
    const overlayA = compare.locator('.sl-overlay[data-tokens]:has([aria-label="Adapter A: nearest words per patch"])');
    const overlayB = compare.locator('.sl-overlay[data-tokens]:has([aria-label="Adapter B: nearest words per patch"])');
    await overlayB.waitFor({ state: 'attached', timeout: 60_000 });
    const patchesA = Number(await overlayA.getAttribute('data-tokens'));
    const patchesB = Number(await overlayB.getAttribute('data-tokens'));
    if (patchesA === 0 || patchesA !== patchesB) throw new Error(`overlays drew ${patchesA} and ${patchesB} patches`);
    const titles = (await compare.locator('h3').allTextContents()).slice(0, 2) as [string, string];
    if (titles[0] !== `A: ${start}` || titles[1] !== `B: ${outputName}`) throw new Error(`compare titles ${JSON.stringify(titles)}; expected A: ${start}, B: ${outputName}`);
    // the trained adapter only exists in the run's pack overlay, whose name ends in "+<adapter>"
    await compare.locator('#meta', { hasText: `+${outputName}` }).waitFor({ timeout: 10_000 });
    const agreement = (await compare.locator('#agreement').textContent()) ?? '';
    await page.screenshot({ path: path.join(path.dirname(shot), 'training-compare.png') });

    // After a window reload the Before/after panel comes back on the run's overlay pack (not the
    // seaLens.pack setting, where the trained adapter does not exist), with the same agreement.
    await runCommand(page, 'Developer: Reload Window'); // saves open editors and webview state, unlike a bare page reload
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    const restored = await findWebview(page, '#agreement', 120_000);
    await restored.locator('#meta', { hasText: `+${outputName}` }).waitFor({ timeout: 120_000 });
    const restoredAgreement = (await restored.locator('#agreement').textContent()) ?? '';
    if (restoredAgreement !== agreement) throw new Error(`restored Before/after says "${restoredAgreement}", before the reload "${agreement}"`);

    // The trained adapter is in the status-bar picker too, labelled by its run, beside the pack's own;
    // picking it stores that label as seaLens.adapter.
    await runCommand(page, 'SEA Lens: Select Adapter…');
    const runAdapter = await pickItem(page, 'Select Adapter', ` · ${outputName} · step `);
    if (!/^run \d{4}-\d{2}-\d{2}-\d{6} · /.test(runAdapter)) throw new Error(`the picker's run adapter reads "${runAdapter}"`);
    const end = Date.now() + 15_000;
    let stored: unknown;
    while (Date.now() < end && (stored = readWorkspaceSetting(workspace, 'seaLens.adapter')) !== runAdapter) await page.waitForTimeout(300);
    if (stored !== runAdapter) throw new Error(`seaLens.adapter is ${JSON.stringify(stored)} after picking "${runAdapter}"`);
    return { runStatus, patchesA, patchesB, titles, agreement, restoredAgreement, runAdapter };
  } finally {
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
  }
}

function readWorkspaceSetting(workspace: string, key: string): unknown {
  try {
    return (JSON.parse(readFileSync(path.join(workspace, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Workspace settings are read live: no reload needed. */
function setWorkspaceSetting(workspace: string, key: string, value: unknown): void {
  const file = path.join(workspace, '.vscode', 'settings.json');
  mkdirSync(path.dirname(file), { recursive: true });
  const current = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, JSON.stringify({ ...current, [key]: value }, null, 2));
}

async function runCommand(page: Page, name: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
  // The palette lists the commands known when it opens; right after start-up the extension's are not
  // there yet, so reopen it until they are. Its filter does not match a typed "…": type the name without.
  const end = Date.now() + 90_000;
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor();
    await input.fill(`>${name.replace(/…$/, '')}`);
    try {
      await row.waitFor({ timeout: 3000 });
      break;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (Date.now() > end) throw new Error(`the command palette has no "${name}" after 90 s`, { cause: e });
      await page.waitForTimeout(1000);
    }
  }
  await page.keyboard.press('Enter');
}

/** Waits for the quick pick whose title contains `title`, picks the row with `label` (or the first). */
async function pickItem(page: Page, title: string, label: string | undefined): Promise<string> {
  const widget = await quickInput(page, title);
  const rows = widget.locator('.monaco-list-row');
  const row = label ? rows.filter({ hasText: label }).first() : rows.first();
  await row.waitFor({ timeout: 15_000 }).catch(async () => {
    throw new Error(`the "${title}" pick has no "${label}" (rows: ${(await rows.allTextContents()).join(' | ')})`);
  });
  const text = ((await row.locator('.label-name').first().textContent()) ?? '').trim();
  await row.click();
  return text;
}

/** Waits for the input box whose title contains `title`, types `value` (or keeps the default), Enter. */
async function answerInput(page: Page, title: string, value: string | undefined): Promise<void> {
  const widget = await quickInput(page, title);
  const input = widget.locator('input');
  if (value !== undefined) await input.fill(value);
  await input.press('Enter');
  // a refused value keeps the same box open with its validation message
  await page.waitForTimeout(300);
  const still = await widget.locator('.quick-input-title', { hasText: title }).isVisible().catch(() => false);
  const msg = ((await widget.locator('.quick-input-message').textContent().catch(() => '')) ?? '').trim();
  if (still && msg) throw new Error(`"${title}" refused ${JSON.stringify(value)}: ${msg}`);
}

/** VS Code's own open dialog (code-server has no native one): a quick input that takes a typed path. */
async function chooseInOpenDialog(page: Page, title: string, folder: string): Promise<void> {
  const widget = await quickInput(page, title);
  const input = widget.locator('input');
  const want = folder.endsWith('/') ? folder : `${folder}/`;
  // the dialog fills in its start folder asynchronously: type once it has, and again if it overwrote us
  for (let i = 0; i < 10 && (await input.inputValue()) !== want; i++) {
    await page.waitForTimeout(500);
    await input.fill(want);
  }
  await page.waitForTimeout(1000); // it lists the folder's contents before OK accepts it
  await widget.locator('.monaco-button', { hasText: 'OK' }).first().click();
}

async function quickInput(page: Page, title: string): Promise<Locator> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: 30_000 });
  return widget;
}

/** The webview (iframe.webview → #active-frame) that contains `selector`. */
async function findWebview(page: Page, selector: string, timeoutMs: number): Promise<FrameLocator> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const n = await page.locator('iframe.webview').count();
    for (let i = n - 1; i >= 0; i--) {
      const frame = page.locator('iframe.webview').nth(i).contentFrame().frameLocator('#active-frame');
      if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
    }
    await page.waitForTimeout(500);
  }
  throw new Error(`no webview shows ${selector} after ${timeoutMs} ms`);
}

/** "Compare Before/After" from the finished-run notification, else the run view's own button. */
async function openCompare(page: Page, run: FrameLocator): Promise<void> {
  const action = page.locator('.notifications-toasts .monaco-button', { hasText: 'Compare Before/After' }).first();
  const shown = await action.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
  if (shown) await action.click();
  else await run.locator('button', { hasText: 'Compare before/after' }).click();
}
