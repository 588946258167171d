// The overlay repaints its canvas when VS Code switches the colour theme (VS Code rewrites the --vscode-*
// variables on <html> and the theme kind on <body>; the canvas holds colours read from them). Real overlay
// in Chromium; skips, saying why, where there is no Chromium.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { browserMissing, openHarness, type HarnessPage } from '../fixtures/overlayPage';

const missing = browserMissing();

describe('token-map overlay follows the colour theme', { skip: missing }, () => {
  let h: HarnessPage;
  before(async () => {
    h = await openHarness();
  });
  after(async () => {
    await h?.close();
  });

  /** Sets the theme the way VS Code does and returns the overlay's data-theme two frames later. */
  const switchTheme = (kind: string, foreground: string): Promise<string | null> => h.page.evaluate(async ([k, fg]) => {
    document.documentElement.style.setProperty('--vscode-editor-foreground', fg);
    document.body.dataset.vscodeThemeKind = k;
    document.body.className = k;
    for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(r));
    return document.querySelector<HTMLElement>('.sl-overlay')!.dataset.theme ?? null;
  }, [kind, foreground] as const);

  /** Colour of the canvas pixel with the most label ink: the painted words take the theme's foreground. */
  const labelInk = (): Promise<number[]> => h.page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('.sl-canvas')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const counts = new Map<string, number>();
    for (let i = 0; i < d.length; i += 4) {
      // words are painted opaque over a transparent canvas; cell fills (if any) are translucent
      if (d[i + 3] !== 255) continue;
      const key = `${d[i]},${d[i + 1]},${d[i + 2]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const best = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k.split(',').map(Number));
    return best.find((rgb) => (rgb[0] === 255 && rgb[1] === 0 && rgb[2] === 0) || (rgb[0] === 0 && rgb[1] === 0 && rgb[2] === 255)) ?? best[0] ?? [];
  });

  it('a theme change repaints the canvas in the new theme, without a new token map', async () => {
    await h.page.evaluate(() => (window as any).harness.mount('demo'));
    assert.ok(Number(await h.page.locator('.sl-overlay').getAttribute('data-labels')) > 0, 'the fixture map draws labels');
    assert.equal(await switchTheme('vscode-dark', '#ff0000'), 'vscode-dark');
    assert.deepEqual(await labelInk(), [255, 0, 0], 'words painted in the dark theme\'s foreground');
    assert.equal(await switchTheme('vscode-high-contrast', '#0000ff'), 'vscode-high-contrast');
    assert.deepEqual(await labelInk(), [0, 0, 255], 'words repainted in the high-contrast foreground');
  });

  it('a disposed overlay stops listening', async () => {
    const errors = await h.page.evaluate(async () => {
      const errs: string[] = [];
      window.addEventListener('error', (e) => errs.push(e.message));
      (window as any).harness.overlay().dispose();
      document.body.dataset.vscodeThemeKind = 'vscode-light';
      for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(r));
      return errs;
    });
    assert.deepEqual(errors, []);
    assert.equal(await h.page.locator('.sl-overlay').count(), 0);
  });
});
