// Keyboard only (issue 16): open the sample image's explain view from the command palette and its open
// dialog, Tab into the token map, move between patches with the arrows, read the focused patch's words (the
// live description and the tooltip), pick with Enter, clear with Escape, and export through the toolbar's
// button — never touching the mouse. Each step asserts on the page's DOM against the CLI's TokenMap of the
// same image. The harness (run-code-server.ts) starts code-server and passes the page.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import type { TokenMap } from '../../src/shared/tokenMap';
import { findWebview, openInDialog, runCommand, until } from './workbench';

export interface KeyboardScenarioOptions {
  page: Page;
  root: string;
  /** The sample image inside the opened workspace folder. */
  image: string;
  /** The CLI's TokenMap of `image` with the adapter the view opens with (one grid). */
  expected: TokenMap;
}

export interface KeyboardScenarioResult {
  tabs: number;
  steps: string[];
  csvRows: number;
}

const label = (tm: TokenMap, i: number): string => {
  const p = tm.patches[i];
  return `row ${(p.row ?? 0) + 1}, column ${(p.col ?? 0) + 1}: ${p.words[0].word} ${p.words[0].score.toFixed(3)}`;
};

/** The page's focused element, named by id, else by its first class (the SVG token map is `sl-svg`). */
const focused = (view: FrameLocator): Promise<string> =>
  view.locator('body').evaluate(() => {
    const a = document.activeElement;
    return a ? a.id || (a.getAttribute('class') ?? '').split(' ')[0] || a.tagName.toLowerCase() : '';
  });

export async function runKeyboardScenario({ page, root, image, expected }: KeyboardScenarioOptions): Promise<KeyboardScenarioResult> {
  const shots = path.join(root, '.test-artifacts', 'e2e', 'screenshots');
  mkdirSync(shots, { recursive: true });
  const grid = expected.grid!;
  const name = path.basename(image);
  const steps: string[] = [];
  try {
    // A fresh view: earlier scenarios may have left one with a focus position or a highlight.
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'SEA Lens: Explain Visual Tokens');
    await openInDialog(page, 'Explain the visual tokens of an image', image);
    const view = await findWebview(page, `.sl-overlay[data-tokens="${grid.rows * grid.cols}"]`, 150_000, name);
    await view.locator('.sl-overlay[data-labels]:not([data-labels="0"])').waitFor({ state: 'attached', timeout: 30_000 });
    steps.push('opened from the palette and the open dialog');

    // Tab until the token map has the focus (the toolbar and the overlay's controls come first).
    let tabs = 0;
    for (; tabs < 40 && (await focused(view)) !== 'sl-svg'; tabs++) {
      await page.keyboard.press('Tab');
      await page.waitForTimeout(120);
    }
    if ((await focused(view)) !== 'sl-svg') throw new Error(`40 Tabs did not reach the token map; the focus is on "${await focused(view)}"`);
    const overlay = view.locator('.sl-overlay');
    const current = view.locator('.sl-current');
    const tooltip = view.locator('.sl-tooltip');
    await until(() => overlay.getAttribute('data-focus'), (f) => f === '0', 5000, 'focus by Tab lands on the first token');
    const ring = await view.locator('.sl-svg').evaluate((s) => `${getComputedStyle(s).outlineStyle} ${getComputedStyle(s).outlineWidth}`);
    if (!/^solid [1-9]/.test(ring)) throw new Error(`the focused token map has no visible focus outline (outline: ${ring})`);
    if (!(await view.locator('rect.sl-focus').isVisible())) throw new Error('the focused token has no focus ring');
    await checkPatch(view, expected, 0);
    steps.push(`Tab ×${tabs} → token map focused on token 1 (“${expected.patches[0].words[0].word}”)`);
    await page.screenshot({ path: path.join(shots, 'keyboard-focus.png') });

    // Arrows move to the spatial neighbour; each move updates the description and the tooltip.
    const moves: [string, number][] = [['ArrowRight', 1], ['ArrowRight', 2], ['ArrowDown', 2 + grid.cols], ['ArrowLeft', 1 + grid.cols], ['End', 2 * grid.cols - 1], ['Home', grid.cols], ['ArrowUp', 0]];
    for (const [key, want] of moves) {
      await page.keyboard.press(key);
      await until(() => overlay.getAttribute('data-focus'), (f) => f === String(want), 5000, `${key} moves to token ${want + 1}`);
      await checkPatch(view, expected, want);
      steps.push(`${key} → token ${want + 1}`);
    }

    // Enter picks the focused token's word: every patch with that top word is highlighted, and said so.
    await page.keyboard.press('ArrowDown');
    const at = grid.cols;
    await until(() => overlay.getAttribute('data-focus'), (f) => f === String(at), 5000, 'ArrowDown back to row 2');
    await page.keyboard.press('Enter');
    const word = expected.patches[at].words[0].word;
    const want = expected.patches.filter((p) => p.words[0].word === word).length;
    await until(() => overlay.getAttribute('data-hits'), (h) => h === String(want), 5000, `Enter highlights the ${want} patches whose top word is “${word}” (CLI)`);
    await until(async () => (await view.locator('#status').textContent()) ?? '', (s) => s.startsWith(`Highlighted: patches whose top word is “${word}” (${want};`), 5000, 'the status line names the highlighted word');
    steps.push(`Enter → ${want} patches highlighted (“${word}”)`);
    await page.screenshot({ path: path.join(shots, 'keyboard-highlight.png') });

    // Escape clears the highlight, the status line and the tooltip; the focus stays on the map.
    await page.keyboard.press('Escape');
    await until(() => overlay.getAttribute('data-hits'), (h) => h === '0', 5000, 'Escape clears the highlight');
    await until(async () => (await view.locator('#status').textContent()) ?? '', (s) => s === '', 5000, 'Escape clears the status line');
    await until(() => tooltip.isVisible(), (v) => !v, 5000, 'Escape hides the tooltip');
    if ((await focused(view)) !== 'sl-svg') throw new Error('Escape took the focus away from the token map');
    if (!((await current.textContent()) ?? '').startsWith(label(expected, at))) throw new Error('Escape lost the focused patch\'s description');
    steps.push('Escape → highlight, status line and tooltip cleared; focus kept');

    // Shift+Tab back to the toolbar's Export CSV button, Enter: VS Code's save dialog, Enter saves.
    let back = 0;
    for (; back < 30 && (await focused(view)) !== 'export-csv'; back++) {
      await page.keyboard.press('Shift+Tab');
      await page.waitForTimeout(120);
    }
    if ((await focused(view)) !== 'export-csv') throw new Error(`30 Shift+Tabs did not reach Export CSV; the focus is on "${await focused(view)}"`);
    const csv = path.join(path.dirname(image), `${path.parse(image).name}.${expected.adapter}.tokens.csv`);
    rmSync(csv, { force: true }); // an earlier scenario's export would make the dialog ask to overwrite
    await page.keyboard.press('Enter');
    // code-server's save dialog is VS Code's simple file dialog: a quick input holding the proposed path
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await until(() => input.inputValue(), (v) => v.endsWith(path.basename(csv)), 10_000, `the save dialog proposes …/${path.basename(csv)}`);
    await page.keyboard.press('Enter');
    await until(async () => existsSync(csv), (x) => x, 15_000, `${csv} is written`);
    await until(async () => (await view.locator('#status').textContent()) ?? '', (s) => s.startsWith('Saved to ') && s.includes(path.basename(csv)), 10_000, 'the page says where it saved');
    const rows = readFileSync(csv, 'utf8').trim().split(/\r?\n/);
    const top = rows.slice(1).filter((l) => l.split(',')[9] === '1').length;
    if (top !== grid.rows * grid.cols) throw new Error(`the CSV has ${top} rank-1 rows, expected ${grid.rows * grid.cols}`);
    steps.push(`Shift+Tab ×${back} → Export CSV, Enter, Enter → ${path.basename(csv)} (${rows.length - 1} rows)`);
    return { tabs, steps, csvRows: rows.length - 1 };
  } finally {
    await page.screenshot({ path: path.join(shots, 'keyboard.png') }).catch(() => undefined);
  }
}

/** The description (screen-reader text) and the tooltip of token `i` match the CLI's words for it. */
async function checkPatch(view: FrameLocator, tm: TokenMap, i: number): Promise<void> {
  const want = label(tm, i);
  await until(async () => (await view.locator('.sl-current').textContent()) ?? '', (t) => t.startsWith(want), 5000, `the description of token ${i + 1} is "${want}…"`);
  const tip = view.locator('.sl-tooltip');
  await until(() => tip.isVisible(), (v) => v, 5000, `the tooltip of token ${i + 1} is shown`);
  const words = await tip.locator('.sl-tooltip-row:not([hidden]) .sl-tooltip-word').allTextContents();
  const cli = tm.patches[i].words.map((w) => w.word);
  if (JSON.stringify(words) !== JSON.stringify(cli)) throw new Error(`tooltip of token ${i + 1}: ${JSON.stringify(words)}, CLI ${JSON.stringify(cli)}`);
}
