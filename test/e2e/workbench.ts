// Keyboard-first helpers for the code-server scenarios (themes.e2e.ts, keyboard.e2e.ts, compareImage.e2e.ts):
// the command palette, VS Code's own open dialog (code-server has no native one), quick picks, and finding
// a SEA Lens webview. Everything here is done with keys, so a scenario that must not touch the mouse can use it.

import type { FrameLocator, Locator, Page } from 'playwright-core';

/** F1, the command's name, then the arrows to the row named exactly so, Enter. Retries while the extension's commands are not registered yet. */
export async function runCommand(page: Page, name: string, timeoutMs = 90_000): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const rows = page.locator('.quick-input-widget .monaco-list-row');
  const row = rows.filter({ hasText: name.replace(/…$/, '') }).first();
  const end = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const opened = await input.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, (e: Error) => {
      if (Date.now() > end) throw new Error(`the command palette did not open for "${name}" in ${timeoutMs / 1000} s`, { cause: e });
      return false;
    });
    if (!opened) {
      // F1 can go to a webview or a modal that holds the keyboard (seen once after the training scenario):
      // close what is open and take the focus back to the workbench's page, then press F1 again.
      await page.keyboard.press('Escape');
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      continue;
    }
    // the palette's filter does not match a typed "…"
    await input.fill(`>${name.replace(/…$/, '')}`);
    try {
      await row.waitFor({ timeout: 3000 });
      break;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (Date.now() > end) throw new Error(`the command palette has no "${name}" after ${timeoutMs / 1000} s`, { cause: e });
      await page.waitForTimeout(1000);
    }
  }
  await focusRow(page, name);
  await page.keyboard.press('Enter');
}

/**
 * Moves the quick pick's focus with the arrow keys to the row labelled (or described: the theme picker shows
 * "Dark High Contrast" with its setting id "Default High Contrast" beside it) exactly `label`: the palette's
 * fuzzy filter may rank another command first ("Preferences: Color Theme" also matches "Preferences: Browse
 * Color Themes in Marketplace").
 */
export async function focusRow(page: Page, label: string, timeoutMs = 5000): Promise<void> {
  const rows = page.locator('.quick-input-widget .monaco-list-row');
  const exact = rows.filter({ has: page.locator('.label-name, .label-description', { hasText: new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }) }).first();
  await exact.waitFor({ timeout: timeoutMs }).catch(async () => {
    throw new Error(`the quick pick has no row named "${label}" (rows: ${(await rows.allTextContents()).join(' | ').slice(0, 400)})`);
  });
  const target = Number(await exact.getAttribute('data-index'));
  for (let i = 0; i < 30; i++) {
    const at = Number(await rows.and(page.locator('.focused')).first().getAttribute('data-index', { timeout: 1000 }).catch(() => NaN));
    if (at === target) return;
    await page.keyboard.press(Number.isNaN(at) || at < target ? 'ArrowDown' : 'ArrowUp');
    await page.waitForTimeout(60);
  }
  throw new Error(`the arrow keys did not reach the row "${label}" (data-index ${target})`);
}

/** The quick input whose title contains `title` (waits for it). */
export async function quickInput(page: Page, title: string | RegExp, timeoutMs = 30_000): Promise<Locator> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: timeoutMs });
  return widget;
}

/** VS Code's simple open dialog: type the file's path over the proposed one and press Enter. */
export async function openInDialog(page: Page, title: string | RegExp, file: string): Promise<void> {
  const widget = await quickInput(page, title);
  const input = widget.locator('input');
  // The dialog fills in its start folder asynchronously and may overwrite what was typed before it did.
  for (let i = 0; i < 10; i++) {
    await page.waitForTimeout(400);
    if ((await input.inputValue()) === file) break;
    await input.fill(file);
  }
  await page.waitForTimeout(600); // it lists the folder before Enter accepts a file of it
  await input.press('Enter');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'hidden', timeout: 15_000 });
}

/** The webview (iframe.webview → #active-frame) titled `title` whose page contains `selector`. */
export async function findWebview(page: Page, selector: string, timeoutMs: number, title?: string): Promise<FrameLocator> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const frames = page.locator('iframe.webview');
    for (let i = (await frames.count()) - 1; i >= 0; i--) {
      const f = frames.nth(i).contentFrame().frameLocator('#active-frame');
      if (title !== undefined && (await f.locator('title').textContent({ timeout: 1000 }).catch(() => null)) !== title) continue;
      if ((await f.locator(selector).count().catch(() => 0)) > 0 && (await frames.nth(i).isVisible().catch(() => false))) return f;
    }
    if (Date.now() > end) throw new Error(`no visible webview${title ? ` titled ${title}` : ''} shows ${selector} after ${timeoutMs} ms`);
    await page.waitForTimeout(400);
  }
}

/** Polls `read` until `ok` holds, returning the last value; throws with `what` and the value seen. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)?.slice(0, 300)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
    v = await read();
  }
  return v;
}
