// Real-VS-Code scenario for a tiled model (the geometry issue): a tiny LLaVA-NeXT made by `pack init` becomes the
// active pack, and the explain view of a wide image shows the model's views (base image, each tile, all tiles)
// in the switcher, its newline tokens in the side list, and exactly the tokens the CLI computes per view.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import type { TokenMap } from '../../src/shared/tokenMap';

export interface TiledScenarioOptions {
  page: Page;
  root: string;
  /** The workspace folder open in code-server (the image is written there). */
  folder: string;
  /** code-server's user settings.json: seaLens.pack is pointed at the tiled pack for the scenario. */
  settingsFile: string;
  openContextMenu(page: Page, fileName: string, item: string): Promise<void>;
  webviewWith(page: Page, selector: string, timeoutMs: number): Promise<FrameLocator>;
}

const venvPython = (root: string) => path.join(root, '.venv', 'bin', 'python');

/** Returns a skip reason, or undefined when the scenario can run. */
export function tiledScenarioSkip(root: string): string | undefined {
  try {
    execFileSync(venvPython(root), ['-c', 'import torch, transformers, onnx'], { stdio: 'ignore', timeout: 120_000 });
    return undefined;
  } catch {
    return `${venvPython(root)} cannot import torch, transformers and onnx (node scripts/ensure-python.mjs makes it): the tiled pack is made by pack init`;
  }
}

export async function runTiledScenario(o: TiledScenarioOptions): Promise<{ views: number; newlines: number; baseTokens: number }> {
  const work = path.join(o.root, '.test-artifacts', 'e2e', 'tiled');
  execFileSync(venvPython(o.root), [path.join(o.root, 'test', 'e2e', 'make_tiled_pack.py'), work,
    path.join(o.root, 'node_modules', '@lenml', 'tokenizer-llama2', 'models')], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  const pack = path.join(work, 'pack');
  const image = path.join(o.folder, 'tiled-wide.png');
  execFileSync(process.execPath, ['-e', `const s=require(${JSON.stringify(path.join(o.root, 'node_modules', 'sharp'))});const b=Buffer.alloc(64*40*3);for(let i=0;i<b.length;i++)b[i]=(i*7919)%251;s(b,{raw:{width:64,height:40,channels:3}}).png().toFile(${JSON.stringify(image)})`], { timeout: 60_000 });
  const expected = JSON.parse(execFileSync(process.execPath, [path.join(o.root, 'bin', 'sea-lens.js'), 'explain', image, '--pack', pack, '--device', 'cpu', '--top-k', '5'],
    { encoding: 'utf8', timeout: 120_000 })) as TokenMap;
  const newlines = expected.patches.filter((p) => p.kind === 'newline').length;
  const base = expected.views.findIndex((v) => v.id === 'base');
  const baseTokens = expected.patches.filter((p) => p.tile === base && p.kind === 'patch').length;
  if (expected.views.length < 3 || newlines === 0 || base < 0) throw new Error(`the tiled pack gives ${expected.views.length} views and ${newlines} newline tokens; expected a base image, tiles and newlines`);

  const settings = JSON.parse(readFileSync(o.settingsFile, 'utf8')) as Record<string, unknown>;
  const before = settings['seaLens.pack'];
  writeFileSync(o.settingsFile, JSON.stringify({ ...settings, 'seaLens.pack': pack }, null, 2));
  try {
    await o.page.waitForTimeout(2000); // the workbench re-reads settings.json on change
    await o.openContextMenu(o.page, 'tiled-wide.png', 'Explain Visual Tokens');
    const view = await o.webviewWith(o.page, '.sl-side-list li', 150_000);
    const listed = await view.locator('.sl-side-list li').count();
    if (listed !== newlines) throw new Error(`the side list shows ${listed} tokens; the CLI has ${newlines} newline tokens`);
    const options = await view.locator('.sl-view-select option').allTextContents();
    if (options.length < expected.views.length) throw new Error(`the view switcher offers ${options.length} views (${options.join(' | ')}); the map has ${expected.views.length}`);
    const baseLabel = expected.views[base].label;
    await view.locator('.sl-view-select').selectOption({ label: baseLabel });
    await view.locator(`.sl-overlay[data-tokens="${baseTokens}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    await o.page.screenshot({ path: path.join(o.root, '.test-artifacts', 'e2e', 'tiled.png') });
    return { views: options.length, newlines, baseTokens };
  } finally {
    writeFileSync(o.settingsFile, JSON.stringify({ ...settings, 'seaLens.pack': before }, null, 2));
  }
}
