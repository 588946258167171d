// The explain and compare views in VS Code's light, dark and high-contrast themes (issue 16): the theme is
// switched the way a person does it ("Preferences: Color Theme" in the command palette; code-server does
// not pick up a settings.json edited on disk mid-run), each view is screenshotted into
// .test-artifacts/e2e/screenshots/<scenario>-<theme>.png, and in each theme the page is checked: VS Code
// gave it that theme, the overlay canvas was repainted in it, the page's colours differ from the other
// themes', and the model-input caption (and the compare view's agreement line) reach a WCAG contrast of 4.5.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { findWebview, focusRow, openInDialog, runCommand, until } from './workbench';

export const THEMES = [
  { name: 'Default Light Modern', slug: 'light', kind: 'vscode-light', workbench: 'vs' },
  { name: 'Default Dark Modern', slug: 'dark', kind: 'vscode-dark', workbench: 'vs-dark' },
  { name: 'Default High Contrast', slug: 'high-contrast', kind: 'vscode-high-contrast', workbench: 'hc-black' },
] as const;

export interface ThemesScenarioOptions {
  page: Page;
  root: string;
  /** An image inside the opened workspace folder. */
  image: string;
  /** Tokens the overlay draws for it (from the CLI). */
  tokens: number;
  /** Whether the pack has two adapters (else the compare view is not part of the scenario). */
  compare: boolean;
}

export interface ThemeSample {
  scenario: string;
  theme: string;
  kind: string;
  /** The page background as seen (VS Code paints the editor background behind a transparent page). */
  background: number[];
  foreground: number[];
  /** Contrast ratios of text lines that must stay readable, by selector. */
  contrast: Record<string, number>;
  screenshot: string;
}

// Runs in the webview page, passed as a string expression (tsx would wrap a function's named inner
// functions in a __name helper that does not exist there). Returns the colours of `selectors` as drawn: each text colour with its alpha
// and every ancestor's opacity applied, over the nearest opaque background (else the editor background).
export const SAMPLE_JS = `(body, selectors) => {
  const rgba = (c) => { const m = /rgba?\\(([^)]+)\\)/.exec(c || ''); if (!m) return null; const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const resolve = (value) => { const t = document.createElement('span'); t.style.color = value; document.body.append(t); const c = rgba(getComputedStyle(t).color); t.remove(); return c; };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const editorBg = resolve(getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim()) || [0, 0, 0, 0];
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((acc, c) => over(c, acc), editorBg);
  };
  const drawn = (el) => {
    let alpha = 1;
    for (let e = el; e; e = e.parentElement) alpha *= Number(getComputedStyle(e).opacity);
    const bg = backgroundOf(el);
    const fg = rgba(getComputedStyle(el).color);
    return { fg: over([fg[0], fg[1], fg[2], fg[3] * alpha], bg).slice(0, 3), bg: bg.slice(0, 3), text: (el.textContent || '').trim().slice(0, 80) };
  };
  const out = {};
  for (const s of selectors) { const el = document.querySelector(s); out[s] = el ? drawn(el) : null; }
  const page = drawn(body);
  const kinds = ['vscode-high-contrast-light', 'vscode-high-contrast', 'vscode-light', 'vscode-dark'];
  return { kind: body.dataset.vscodeThemeKind || kinds.find((k) => body.classList.contains(k)) || '', page, lines: out };
}`;

interface Sampled {
  kind: string;
  page: { fg: number[]; bg: number[] };
  lines: Record<string, { fg: number[]; bg: number[]; text: string } | null>;
}

/** WCAG 2 relative luminance and contrast ratio of two sRGB colours (0–255). */
export function contrastRatio(a: number[], b: number[]): number {
  const lum = (c: number[]): number => {
    const [r, g, bl] = c.map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** "Preferences: Color Theme", the arrows to the theme's row, Enter; waits until the workbench wears it. */
export async function setColorTheme(page: Page, theme: (typeof THEMES)[number]): Promise<void> {
  // Soon after start-up the picker lists only "Browse Additional Color Themes…" (the themes are still being
  // read): reopen it until the theme is there.
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, 'Preferences: Color Theme');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(theme.name);
    try {
      // The rows read "Dark High Contrast" with the setting id "Default High Contrast" as description; the
      // filter also matches "Default High Contrast Light", and past the themes lies the marketplace: go to
      // the row named exactly so.
      await focusRow(page, theme.name);
      break;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (attempt >= 8) throw e;
      await page.waitForTimeout(3000);
    }
  }
  await page.keyboard.press('Enter');
  await page.locator(`.monaco-workbench.${theme.workbench}`).waitFor({ timeout: 20_000 });
}

async function sample(view: FrameLocator, selectors: string[]): Promise<Sampled> {
  return (await view.locator('body').evaluate(`(${SAMPLE_JS})(document.body, ${JSON.stringify(selectors)})`)) as Sampled;
}

export async function runThemesScenario({ page, root, image, tokens, compare }: ThemesScenarioOptions): Promise<ThemeSample[]> {
  const dir = path.join(root, '.test-artifacts', 'e2e', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const name = path.basename(image);
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'SEA Lens: Explain Visual Tokens');
  await openInDialog(page, 'Explain the visual tokens of an image', image);
  await findWebview(page, `.sl-overlay[data-tokens="${tokens}"]`, 150_000, name);
  // Both pages are titled with the image's name; #heatmap is the explain view's own, #agreement the compare view's.
  const scenarios = [{ scenario: 'explain', tab: `Visual tokens: ${name}`, ready: '#heatmap', overlays: 1, lines: ['.sl-caption'] }];
  if (compare) {
    await runCommand(page, 'SEA Lens: Compare Adapters…');
    await openInDialog(page, 'Compare two adapters on an image', image);
    await (await findWebview(page, '#agreement', 150_000, name)).locator('#agreement', { hasText: 'Agreement' }).waitFor({ timeout: 150_000 });
    scenarios.push({ scenario: 'compare', tab: `Compare adapters: ${name}`, ready: '#agreement:has-text("Agreement")', overlays: 3, lines: ['.sl-caption', '#agreement'] });
  }
  // the theme the run started with (code-server follows the browser's light preference), restored after
  let before: (typeof THEMES)[number] | undefined;
  for (const t of THEMES) if (!before && (await page.locator(`.monaco-workbench.${t.workbench}`).count())) before = t;
  const samples: ThemeSample[] = [];
  for (const theme of THEMES) {
    await setColorTheme(page, theme);
    for (const s of scenarios) {
      await page.locator('.tab', { hasText: s.tab }).first().click();
      const view = await findWebview(page, s.ready, 150_000, name);
      // VS Code restyled the page, and every overlay repainted its canvas in that theme (data-theme).
      // (the page reloads when its tab comes back: a read during the reload counts as not yet)
      await until(() => sample(view, []).then((x) => x.kind, () => ''), (k) => k === theme.kind, 30_000, `${s.scenario} view's theme kind in ${theme.name}`);
      await until(() => view.locator('.sl-overlay').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.theme ?? '')).catch(() => [] as string[]),
        (ts) => ts.length === s.overlays && ts.every((t) => t === theme.kind), 20_000, `${s.scenario} overlays painted in ${theme.kind}`);
      await page.waitForTimeout(300); // let the tooltip/legend transitions settle before the screenshot
      const got = await sample(view, s.lines);
      const contrast: Record<string, number> = {};
      for (const sel of s.lines) {
        const line = got.lines[sel];
        if (!line || !line.text) throw new Error(`${s.scenario} in ${theme.name}: ${sel} is missing or empty`);
        contrast[sel] = contrastRatio(line.fg, line.bg);
        if (contrast[sel] < 4.5) throw new Error(`${s.scenario} in ${theme.name}: "${line.text}" (${sel}) has contrast ${contrast[sel].toFixed(2)} (rgb ${line.fg.map(Math.round)} on ${line.bg.map(Math.round)}), below WCAG AA 4.5`);
      }
      const screenshot = path.join(dir, `${s.scenario}-${theme.slug}.png`);
      await page.screenshot({ path: screenshot });
      samples.push({ scenario: s.scenario, theme: theme.name, kind: got.kind, background: got.page.bg, foreground: got.page.fg, contrast, screenshot });
    }
  }
  if (before) await setColorTheme(page, before); // the scenarios after this one see the theme they started in
  // The three themes really differ on the page: backgrounds and text colours pairwise distinct.
  for (const s of scenarios) {
    const mine = samples.filter((x) => x.scenario === s.scenario);
    for (const key of ['background', 'foreground'] as const) {
      const seen = new Set(mine.map((x) => x[key].map(Math.round).join(',')));
      if (seen.size !== THEMES.length) throw new Error(`${s.scenario}: the page ${key}s are not all different across themes: ${mine.map((x) => `${x.theme} rgb(${x[key].map(Math.round)})`).join('; ')}`);
    }
  }
  return samples;
}
