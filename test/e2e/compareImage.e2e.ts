// "SEA Lens: Choose Image…" in a compare view (issue 16): the QuickPick lists the image shown (first, "shown
// now") and the workspace's other images plus "Browse…"; picking another image recomputes the same two
// adapters on it in the same panel (its agreement is the one the CLI implies for that image), and Browse…
// (VS Code's open dialog) switches back. The harness (run-code-server.ts) passes the page and the CLI.
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { TokenMap } from '../../src/shared/tokenMap';
import { findWebview, openInDialog, quickInput, runCommand, until } from './workbench';

export interface CompareImageScenarioOptions {
  page: Page;
  root: string;
  /** An image inside the opened workspace folder. */
  image: string;
  /** The pack's two adapters the compare view opens with (default adapter first). */
  adapters: [string, string];
  /** The CLI's TokenMap of an image with an adapter. */
  cli: (image: string, adapter: string) => TokenMap;
}

/** "Agreement x% · k of n tokens changed" as the compare view writes it, from the CLI's two maps. */
function agreementOf(a: TokenMap, b: TokenMap): string {
  const n = a.patches.length;
  const same = a.patches.filter((p, i) => p.words[0]?.word === b.patches[i].words[0]?.word).length;
  return `Agreement ${((same / n) * 100).toFixed(1)}% · ${n - same} of ${n} tokens changed`;
}

export async function runCompareImageScenario({ page, root, image, adapters, cli }: CompareImageScenarioOptions): Promise<{ listed: string[]; switched: string; back: string }> {
  const folder = path.dirname(image);
  const other = readdirSync(path.join(root, 'media', 'samples')).filter((f) => f.endsWith('.png') && f !== path.basename(image)).sort()[0];
  if (!other) throw new Error('media/samples has one PNG; the scenario needs a second image');
  const second = path.join(folder, other);
  copyFileSync(path.join(root, 'media', 'samples', other), second);
  const [a, b] = adapters;
  const want1 = agreementOf(cli(image, a), cli(image, b));
  const want2 = agreementOf(cli(second, a), cli(second, b));
  if (want1 === want2) throw new Error(`both images give "${want1}": the switch could not be seen; pick samples that differ`);

  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'SEA Lens: Compare Adapters…');
  await openInDialog(page, 'Compare two adapters on an image', image);
  const agreement = async (title: string): Promise<string> => {
    const view = await findWebview(page, '#agreement', 5000, title);
    return (await view.locator('#agreement').textContent({ timeout: 2000 })) ?? '';
  };
  const settle = (title: string, want: string, what: string): Promise<string> =>
    until(() => agreement(title).catch(() => ''), (t) => t === want, 150_000, what);
  await settle(path.basename(image), want1, `the compare view of ${path.basename(image)} shows the CLI's agreement`);

  // The picker: the image shown first, the other workspace image, Browse… last.
  await runCommand(page, 'SEA Lens: Choose Image…');
  const pick = await quickInput(page, `Compare ${a} and ${b} on which image?`);
  const rows = pick.locator('.monaco-list-row');
  await rows.first().waitFor({ timeout: 15_000 });
  const listed = (await rows.allTextContents()).map((t) => t.trim());
  if (!listed[0]?.startsWith(path.basename(image)) || !/shown now/.test(listed[0])) throw new Error(`the first row is "${listed[0]}", not the image shown now`);
  if (!listed.some((t) => t.startsWith(other))) throw new Error(`the picker does not list ${other}: ${listed.join(' | ')}`);
  if (!/Browse…/.test(listed[listed.length - 1] ?? '')) throw new Error(`the last row is "${listed[listed.length - 1]}", not Browse…`);
  await pick.locator('input').fill(other);
  await rows.filter({ hasText: other }).first().waitFor();
  await page.keyboard.press('Enter');
  const switched = await settle(other, want2, `after choosing ${other}, the same panel shows the CLI's agreement on it`);
  await page.locator('.tab', { hasText: `Compare adapters: ${other}` }).first().waitFor({ timeout: 10_000 });
  if ((await page.locator('.tab', { hasText: 'Compare adapters:' }).count()) !== 1) throw new Error('choosing an image opened a second compare panel instead of switching this one');
  await page.screenshot({ path: path.join(root, '.test-artifacts', 'e2e', 'compare-choose-image.png') });

  // Browse…: VS Code's open dialog (filtered to the decoded formats), back to the first image.
  await runCommand(page, 'SEA Lens: Choose Image…');
  const again = await quickInput(page, `Compare ${a} and ${b} on which image?`);
  await again.locator('input').fill('Browse');
  await again.locator('.monaco-list-row', { hasText: 'Browse…' }).first().waitFor();
  await page.keyboard.press('Enter');
  // the open dialog carries the picker's title: wait until it has replaced the picker (it proposes a folder)
  await until(() => again.locator('input').inputValue(), (v) => v.startsWith('/'), 15_000, 'Browse… opens the open dialog on a folder');
  await openInDialog(page, `Compare ${a} and ${b} on which image?`, image);
  const back = await settle(path.basename(image), want1, `Browse… back to ${path.basename(image)}`);
  return { listed, switched, back };
}
