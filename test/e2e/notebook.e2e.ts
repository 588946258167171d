// Real-VS-Code scenario for the notebook (issue 5): in code-server with the packaged extension installed,
// run "SEA Lens: New Notebook", Run All, and check that the renderer drew the token-map overlays and the
// metrics table. The code-server harness (run-code-server.ts) starts the server, installs the .vsix and
// opens the workbench; it calls this scenario with the page. A screenshot goes to
// .test-artifacts/e2e/notebook.png either way, so a failure can be seen.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';

export interface NotebookScenarioOptions {
  page: Page;
  /** The repository root (holds media/demo-pack and .test-artifacts). */
  root: string;
  /** Milliseconds to wait for Run All to finish (cold pack load included). */
  timeoutMs?: number;
}

/** Returns a skip reason, or undefined when the scenario can run. */
export function notebookScenarioSkip(root: string): string | undefined {
  const manifest = path.join(root, 'media', 'demo-pack', 'manifest.json');
  return existsSync(manifest) ? undefined : `demo pack missing (${manifest}): the starter notebook runs on it; build it first (python/sealens/build_pack.py)`;
}

export async function runNotebookScenario({ page, root, timeoutMs = 180_000 }: NotebookScenarioOptions): Promise<{ words: number; metricsRows: number }> {
  const shot = path.join(root, '.test-artifacts', 'e2e', 'notebook.png');
  mkdirSync(path.dirname(shot), { recursive: true });
  try {
    await command(page, 'SEA Lens: New Notebook');
    await page.locator('.notebook-toolbar-container').first().waitFor({ timeout: 30_000 });
    await page.getByText('Run All', { exact: true }).first().click();
    // A first run may ask which kernel to use; SEA Lens is the only one for this notebook type.
    const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'SEA Lens' });
    if (await pick.first().isVisible({ timeout: 3_000 }).catch(() => false)) await pick.first().click();
    const outputs = outputFrame(page);
    // Playwright's CSS locators pierce open shadow roots, where the renderer draws each output.
    // The overlay says how many word labels it painted on its canvas (data-labels).
    const words = outputs.locator('[data-sealens-view="tokenmap"] .sl-overlay[data-labels]:not([data-labels="0"])');
    const metricsRows = outputs.locator('[data-sealens-metrics] tr');
    await words.first().waitFor({ timeout: timeoutMs });
    // VS Code renders a cell's outputs only when the cell comes near the viewport, and the metrics cell is
    // the starter's last: select the first cell (a click on its rendered markdown) and jump to the last one
    // with the notebook's "focus bottom" key until the table exists (it need not be on screen).
    const deadline = Date.now() + timeoutMs;
    while ((await metricsRows.count()) === 0) {
      if (Date.now() > deadline) throw new Error(`no metrics table ${timeoutMs} ms after moving to the end of the notebook`);
      await page.locator('.notebook-editor .markdown-cell-row').first().click({ position: { x: 5, y: 5 } }).catch(() => undefined);
      await page.keyboard.press('Control+End');
      await page.waitForTimeout(1500);
    }
    const text = await page.locator('.notebook-editor').first().innerText();
    if (/SEA Lens: (cell not run|\w+ failed)/.test(text)) throw new Error(`the starter notebook produced an error output: ${text.match(/SEA Lens: [^\n]*/)?.[0]}`);
    return { words: Number(await words.first().getAttribute('data-labels')), metricsRows: await metricsRows.count() };
  } finally {
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
  }
}

async function command(page: Page, name: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${name}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** The notebook's output webview (outputs of all cells live in one webview per notebook editor). */
function outputFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview').frameLocator('#active-frame');
}
