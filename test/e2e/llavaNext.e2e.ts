// A tiled model in real VS Code ("Every visual token in its place"): a tiny random-weight LLaVA-NeXT built
// with transformers' own classes in <repo>/.venv (cached under .test-artifacts/e2e-llava-next), opened with
// `sea-lens pack init` into the test workspace, given a second adapter through its manifest, and made the
// active pack with "SEA Lens: Select Model Pack…". On a 200×160 image (LLaVA-NeXT picks the 2×2 grid, and its
// unpadding drops a token row of each tile) the explain view must offer the base image, each tile and all
// tiles; a tile shows exactly that tile's tokens (walked with the keyboard, words equal to the CLI's); the
// newline tokens are listed beside the image, never drawn; the word search counts what the CLI's top-k
// implies (0 for a nonsense word); + / - / 0 change the zoom transform; CSV and PNG export the geometry. Then
// Compare Adapters shows the CLI's agreement of the two adapters with the panes' view switchers linked, and
// an adapter whose pack places its tokens differently is refused with the extension's message.
// Screenshots go to .test-artifacts/e2e/screenshots/llava-next-*.png. The harness (run-code-server.ts)
// starts code-server on `workspace` and passes the page and the CLI.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import type { TokenMap } from '../../src/shared/tokenMap';
import { findWebview, openInDialog, quickInput, runCommand, until } from './workbench';

export interface LlavaNextScenarioOptions {
  page: Page;
  root: string;
  /** The folder code-server has open (the pack, the image and the settings go there). */
  workspace: string;
  /** A pack of another geometry (the harness's one-grid pack: the demo pack or a fixture pack). */
  otherPack: string;
  /** The harness's seaLens.pack ('' = the embedded demo pack), made active again at the end. */
  harnessPack: string;
  /** The CLI's TokenMap of an image with a pack and adapter (top-k 5, CPU). */
  cli: (image: string, pack: string, adapter?: string) => TokenMap;
}

export interface LlavaNextScenarioResult {
  steps: string[];
  screenshots: string[];
}

const venvPython = (root: string): string => path.join(root, '.venv', 'bin', 'python');

/** Returns why the scenario cannot run (a missing Python dependency), or undefined. */
export function llavaNextScenarioSkip(root: string): string | undefined {
  const py = venvPython(root);
  if (!existsSync(py)) return `${py} is missing, so no LLaVA-NeXT checkpoint can be built: run \`node scripts/ensure-python.mjs\``;
  const r = spawnSync(py, ['-c', 'import torch, transformers, onnx, safetensors'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return `${py} cannot import torch, transformers, onnx and safetensors (${(r.stderr || String(r.error)).trim().split('\n').pop()}): run \`node scripts/ensure-python.mjs\``;
  return undefined;
}

// The model of python/tests_hf/test_family_llava_next.py: CLIP 32 px / patch 8 (4×4 tokens a view), tiles of
// 32 px, pinpoints of the real model's shape scaled by 32/336, a learned newline that stands out.
const BUILD = `
import shutil, sys, torch
from transformers import CLIPVisionConfig, LlamaConfig, LlavaNextConfig, LlavaNextForConditionalGeneration
from transformers.models.llava_next.image_processing_llava_next import LlavaNextImageProcessor
out, tok = sys.argv[1], sys.argv[2]
TILE, PATCH, H = 32, 8, 64
PIN = [[32, 64], [64, 32], [64, 64], [96, 32], [32, 96]]
torch.manual_seed(0)
vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4, image_size=TILE,
                          patch_size=PATCH, projection_dim=32)
text = LlamaConfig(vocab_size=32064, hidden_size=H, intermediate_size=128, num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=4)
cfg = LlavaNextConfig(vision_config=vision, text_config=text, vision_feature_layer=-2, image_grid_pinpoints=PIN,
                      vision_feature_select_strategy="default", image_token_index=32000)
model = LlavaNextForConditionalGeneration(cfg).eval()
with torch.no_grad():
    model.model.image_newline.copy_(torch.randn(H))
model.save_pretrained(out, safe_serialization=True, max_shard_size="2MB")
LlavaNextImageProcessor(size={"shortest_edge": TILE}, crop_size={"height": TILE, "width": TILE}, image_grid_pinpoints=PIN,
                        image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711]).save_pretrained(out)
for f in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copyfile(f"{tok}/{f}", f"{out}/{f}")
`;

// A second adapter: the checkpoint's projector with seeded noise on its second layer, so that some top words
// change and some do not (a plain copy would agree everywhere and prove less).
const PERTURB = `
import sys, torch
from safetensors.torch import load_file, save_file
src, dst = sys.argv[1], sys.argv[2]
t = load_file(src)
g = torch.Generator().manual_seed(1)
k = "multi_modal_projector.linear_2.weight"
t[k] = (t[k] + 0.5 * t[k].std() * torch.randn(t[k].shape, generator=g)).contiguous()
save_file(t, dst, metadata={"format": "pt"})
`;

function run(root: string, cmd: string, args: string[], what: string, timeoutMs = 600_000): string {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, PYTHONPATH: path.join(root, 'python') } });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error)).slice(-2000)}`);
  return `${r.stdout}\n${r.stderr}`;
}

/** The checkpoint folder, built once per BUILD script (its hash in READY). */
function checkpoint(root: string): string {
  const dir = path.join(root, '.test-artifacts', 'e2e-llava-next');
  const ckpt = path.join(dir, 'tiny-llava-next'); // the folder's name becomes the pack's name
  const ready = path.join(dir, 'READY');
  const version = createHash('sha256').update(BUILD).digest('hex').slice(0, 16);
  if (existsSync(ready) && readFileSync(ready, 'utf8') === version) return ckpt;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  run(root, venvPython(root), ['-c', BUILD, ckpt, path.join(root, 'node_modules', '@lenml', 'tokenizer-llama2', 'models')], 'building the tiny LLaVA-NeXT checkpoint');
  writeFileSync(ready, version);
  return ckpt;
}

/** RFC 4180 rows (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

/** The word search's matching rule (webview/overlay/wordSearch.ts), stated again: markers and case ignored. */
const norm = (w: string): string => w.trim().replace(/^[Ġ▁]+/u, '').trim().toLocaleLowerCase();

const num2 = (v: number | undefined): string => (v === undefined ? '' : String(Number(v.toFixed(2))));

/** translate(x, y) scale(k) of the overlay's image, as the page applies it. */
async function transformOf(view: FrameLocator): Promise<{ x: number; y: number; k: number }> {
  const s = await view.locator('img.sl-image').evaluate((im: HTMLImageElement) => im.style.transform);
  const m = /translate\(([-\d.e]+)px,\s*([-\d.e]+)px\)\s*scale\(([-\d.e]+)\)/.exec(s);
  if (!m) throw new Error(`the image's transform reads "${s}"`);
  return { x: Number(m[1]), y: Number(m[2]), k: Number(m[3]) };
}

/** Walks every token the map lets the keyboard reach, row by row (→ to the row's end, Home, ↓). */
async function walkTokens(page: Page, view: FrameLocator): Promise<Map<number, string>> {
  const overlay = view.locator('.sl-overlay').first();
  const at = async (): Promise<number> => Number(await overlay.getAttribute('data-focus'));
  const seen = new Map<number, string>();
  const record = async (): Promise<void> => void seen.set(await at(), (await view.locator('.sl-current').first().textContent()) ?? '');
  // Into the map from the search box, as Tab does: the map gains the focus and starts on the view's first token
  // (a map that kept the focus while the view changed would still carry the old view's position).
  await view.locator('input.sl-search').first().focus();
  await view.locator('.sl-svg').first().focus();
  for (let rows = 0; rows < 64; rows++) {
    await record();
    for (let cols = 0; cols < 64; cols++) {
      const before = await at();
      await page.keyboard.press('ArrowRight');
      if ((await at()) === before) break;
      await record();
    }
    await page.keyboard.press('Home');
    const before = await at();
    await page.keyboard.press('ArrowDown');
    if ((await at()) === before) break;
  }
  return seen;
}

/** Closes every editor; an unsaved one left by an earlier scenario (the notebook's Untitled-1.sealens) is closed
 *  without saving, or VS Code's modal "Do you want to save…" would block every later click. */
async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  const dontSave = page.locator('.monaco-dialog-box .monaco-button', { hasText: /Don.t Save/ }).first();
  for (let i = 0; i < 5; i++) {
    try {
      await dontSave.waitFor({ timeout: 1500 });
    } catch {
      return;
    }
    await dontSave.click();
  }
}

/** "SEA Lens: Select Model Pack…" → the embedded demo pack ('') or "Choose a pack folder…" and VS Code's folder dialog. */
async function selectPack(page: Page, pack: string): Promise<void> {
  await runCommand(page, 'SEA Lens: Select Model Pack…');
  const pick = await quickInput(page, 'Select Model Pack');
  await pick.locator('.monaco-list-row', { hasText: pack ? 'Choose a pack folder' : 'Embedded demo pack' }).first().click();
  if (!pack) return;
  const dialog = await quickInput(page, 'Model pack folder (holds manifest.json)');
  const input = dialog.locator('input');
  for (let i = 0; i < 10 && (await input.inputValue()) !== `${pack}/`; i++) {
    await page.waitForTimeout(500); // the dialog fills in its start folder asynchronously
    await input.fill(`${pack}/`);
  }
  await page.waitForTimeout(1000); // it lists the folder before OK accepts it
  await dialog.locator('.monaco-button', { hasText: 'OK' }).first().click();
}

/** The select's options as {value, label}. */
const optionsOf = (select: Locator): Promise<{ value: string; label: string }[]> =>
  select.evaluate((s: HTMLSelectElement) => [...s.options].map((o) => ({ value: o.value, label: o.label })));

export async function runLlavaNextScenario({ page, root, workspace, otherPack, harnessPack, cli }: LlavaNextScenarioOptions): Promise<LlavaNextScenarioResult> {
  const shots = path.join(root, '.test-artifacts', 'e2e', 'screenshots');
  mkdirSync(shots, { recursive: true });
  const screenshots: string[] = [];
  const shot = async (name: string): Promise<void> => {
    const file = path.join(shots, `llava-next-${name}.png`);
    await page.screenshot({ path: file });
    screenshots.push(file);
  };
  const steps: string[] = [];
  const settingsFile = path.join(workspace, '.vscode', 'settings.json');
  const settingsBefore = existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : undefined;
  const runDir = path.join(workspace, '.sealens', 'runs', '20261130-000000-e2e-other-geometry');
  try {
    // --- the pack: checkpoint (cached), `sea-lens pack init` into the workspace, a second adapter ---------
    const ckpt = checkpoint(root);
    const pack = path.join(workspace, 'packs', 'tiny-llava-next');
    rmSync(pack, { recursive: true, force: true });
    const initOut = run(root, process.execPath, [path.join(root, 'bin', 'sea-lens.js'), 'pack', 'init', ckpt, '--out', pack, '--python', venvPython(root)], 'sea-lens pack init');
    if (!/family llava-next/.test(initOut)) throw new Error(`pack init did not report the llava-next family:\n${initOut.slice(-800)}`);
    const manifestFile = path.join(pack, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { name: string; adapters: { name: string; safetensors?: string; description?: string }[] };
    const first = manifest.adapters[0];
    if (manifest.adapters.length !== 1 || !first.safetensors) throw new Error(`pack init wrote adapters ${JSON.stringify(manifest.adapters)}; expected one safetensors projector`);
    run(root, venvPython(root), ['-c', PERTURB, path.join(pack, first.safetensors), path.join(pack, 'adapter-perturbed.safetensors')], 'writing the second adapter');
    manifest.adapters.push({ name: 'perturbed', description: `${first.name} with seeded noise on linear_2 (e2e)`, safetensors: 'adapter-perturbed.safetensors' });
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    steps.push(`pack init → ${path.relative(workspace, pack)} (adapters ${manifest.adapters.map((a) => a.name).join(', ')})`);

    // A 200×160 image: LLaVA-NeXT's best pinpoint is 64×64, a 2×2 grid, and unpadding drops a token row.
    const image = path.join(workspace, 'llava-next-tiles.png');
    run(root, process.execPath, ['-e', `
      const sharp = require(${JSON.stringify(path.join(root, 'node_modules', 'sharp'))});
      const w = 200, h = 160, b = Buffer.alloc(w * h * 3);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { const i = (y * w + x) * 3; b[i] = (x * 7 + y * 3) % 256; b[i + 1] = (x * x + y * 5) % 256; b[i + 2] = (y * 11) % 256; }
      sharp(b, { raw: { width: w, height: h, channels: 3 } }).png().toFile(${JSON.stringify(image)}).catch((e) => { console.error(e); process.exit(1); });
    `], 'writing the test image', 60_000);
    const name = path.basename(image);
    const tm = cli(image, pack, first.name);
    const tileViews = tm.views.flatMap((v, i) => (v.id.startsWith('tile') ? [i] : []));
    const newlines = tm.patches.flatMap((p, i) => (p.kind === 'newline' ? [i] : []));
    if (tm.views[0]?.id !== 'base' || tileViews.length < 2 || newlines.length === 0) {
      throw new Error(`the CLI's map has views ${tm.views.map((v) => v.id).join(', ')} and ${newlines.length} newlines: not the base image + several tiles this scenario needs`);
    }
    const inTiles = (i: number): boolean => tileViews.includes(tm.patches[i].tile);
    const tilePatches = tm.patches.filter((p, i) => inTiles(i) && p.kind === 'patch').length;

    // --- make it the active pack, as a person does ---------------------------------------------------
    await closeAllEditors(page);
    await selectPack(page, pack);
    await page.locator('.notifications-toasts .notification-list-item', { hasText: `SEA Lens now uses the pack "${manifest.name}" (2 adapters)` }).first().waitFor({ timeout: 60_000 });
    const stored = (JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>)['seaLens.pack'];
    if (stored !== pack) throw new Error(`seaLens.pack is ${JSON.stringify(stored)} in the workspace settings, expected ${pack}`);
    steps.push('Select Model Pack… → pack folder → active');

    // --- explain: the view switcher -----------------------------------------------------------------
    await runCommand(page, 'SEA Lens: Explain Visual Tokens');
    await openInDialog(page, 'Explain the visual tokens of an image', image);
    const view = await findWebview(page, `.sl-overlay[data-tokens="${tilePatches}"]`, 150_000, name);
    const overlay = view.locator('.sl-overlay');
    await view.locator('#meta', { hasText: `${manifest.name} · ${first.name} · cpu · ${tm.patches.length} tokens in ${tm.views.length} views` }).waitFor({ timeout: 10_000 });
    const select = view.locator('select.sl-view-select');
    const options = await optionsOf(select);
    const wantOptions = [...tm.views.map((v) => ({ value: v.id, label: v.label })), { value: 'tiles', label: `all ${tileViews.length} tiles` }];
    if (JSON.stringify(options) !== JSON.stringify(wantOptions)) throw new Error(`the view switcher offers ${JSON.stringify(options)}, expected ${JSON.stringify(wantOptions)}`);
    if ((await select.inputValue()) !== 'tiles' || (await overlay.getAttribute('data-view')) !== 'tiles') throw new Error('the view does not open on all tiles');
    const { width, height } = tm.imageSize;
    const caption = (await view.locator('.sl-caption').textContent()) ?? '';
    if (!caption.includes(`all ${tileViews.length} tiles — covers the whole ${width}×${height} image`)) throw new Error(`the caption of all tiles reads "${caption}"`);
    steps.push(`switcher: ${options.map((o) => o.label).join(' | ')}`);

    // Newlines: listed beside the image with their words, not drawn (the map draws the tiles' patches only).
    const listedIdx = async (): Promise<number[]> => (await view.locator('.sl-side-list li[data-index]').evaluateAll((ls) => ls.map((l) => Number(l.getAttribute('data-index')))));
    const wantListed = tm.patches.flatMap((p, i) => (inTiles(i) && p.kind !== 'patch' ? [i] : []));
    if (!(await view.locator('.sl-side').isVisible())) throw new Error('the list of tokens not on the image is hidden');
    const listed = await listedIdx();
    if (JSON.stringify(listed) !== JSON.stringify(wantListed)) throw new Error(`the side list holds tokens ${listed}, the CLI's newlines are ${wantListed}`);
    const sideTitle = (await view.locator('.sl-side-title').textContent()) ?? '';
    if (sideTitle !== `${wantListed.length} tokens not on the image`) throw new Error(`the side list's title reads "${sideTitle}"`);
    const firstNl = tm.patches[wantListed[0]];
    const li = (await view.locator('.sl-side-list li').first().textContent()) ?? '';
    if (!li.startsWith(`↵ ${tm.views[firstNl.tile].label.replace(/ of .*$/, '')} · row ${(firstNl.row ?? 0) + 1}`) || !li.includes(firstNl.words[0].word)) throw new Error(`the first listed newline reads "${li}"`);
    steps.push(`all tiles: ${tilePatches} patches drawn, ${wantListed.length} newlines listed`);
    await shot('explain');

    // Word search in all tiles: a word of a tile token's top-k, then a nonsense word.
    const tileIdx = tm.patches.flatMap((_, i) => (inTiles(i) ? [i] : []));
    const word = tm.patches[tileIdx.find((i) => tm.patches[i].kind === 'patch' && /^[A-Za-z]{3,}$/.test(tm.patches[i].words[2]?.word ?? ''))!].words[2].word;
    const has = (i: number, w: string): boolean => tm.patches[i].words.slice(0, 5).some((x) => norm(x.word) === norm(w));
    const inView = tileIdx.filter((i) => has(i, word)).length;
    const total = tm.patches.filter((_, i) => has(i, word)).length;
    const search = view.locator('input.sl-search');
    const count = view.locator('.sl-search-count');
    await search.fill(word);
    await search.press('Enter');
    await until(() => overlay.getAttribute('data-hits'), (h) => h === String(inView), 5000, `the search for “${word}” highlights ${inView} tokens (CLI top-5)`);
    const summary = inView === total ? `${total} token${total === 1 ? '' : 's'} with “${word}”` : `${inView} here, ${total} in all, with “${word}”`;
    await until(async () => (await count.textContent()) ?? '', (t) => t === summary, 5000, 'the search count line');
    if (inView === 0) throw new Error('the searched word is in no token: the test would prove nothing');
    await shot('search');
    const nonsense = 'qzxjvwq';
    await search.fill(nonsense);
    await search.press('Enter');
    await until(() => overlay.getAttribute('data-hits'), (h) => h === '0', 5000, `the search for “${nonsense}” highlights nothing`);
    await until(async () => (await count.textContent()) ?? '', (t) => t === `no token has “${nonsense}” in its top-k`, 5000, 'the count line for a nonsense word');
    await search.fill('');
    await until(async () => (await count.textContent()) ?? '', (t) => t === '', 5000, 'clearing the search clears the count');
    steps.push(`search “${word}” → ${inView} here / ${total} in all; “${nonsense}” → 0`);

    // Zoom with the keyboard on the map: + enlarges, - shrinks, 0 fits again.
    await view.locator('.sl-svg').focus();
    await until(() => overlay.getAttribute('data-focus'), (f) => f !== null, 5000, 'the map takes the focus');
    const fit = await transformOf(view);
    await page.keyboard.press('+');
    const zin = await until(() => transformOf(view), (t) => t.k > fit.k * 1.4, 5000, '+ zooms in');
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    const zout = await until(() => transformOf(view), (t) => t.k < fit.k * 0.8, 5000, '- zooms out');
    await page.keyboard.press('0');
    const back = await until(() => transformOf(view), (t) => Math.abs(t.k - fit.k) < 1e-6 && Math.abs(t.x - fit.x) < 0.5 && Math.abs(t.y - fit.y) < 0.5, 5000, '0 fits the view again');
    steps.push(`zoom k ${fit.k.toFixed(3)} → + ${zin.k.toFixed(3)} → -- ${zout.k.toFixed(3)} → 0 ${back.k.toFixed(3)}`);

    // A tile on its own: exactly its tokens, reached with the keyboard, with the CLI's words.
    const tileView = tileViews[tileViews.length - 1];
    const tile = tm.views[tileView];
    await select.selectOption(tile.id);
    const own = tm.patches.flatMap((p, i) => (p.tile === tileView && p.kind === 'patch' ? [i] : []));
    await until(() => overlay.getAttribute('data-view'), (v) => v === tile.id, 5000, `the overlay shows ${tile.id}`);
    await until(() => overlay.getAttribute('data-tokens'), (n) => n === String(own.length), 5000, `${tile.id} draws its ${own.length} patches`);
    const tileCaption = (await view.locator('.sl-caption').textContent()) ?? '';
    if (!tileCaption.startsWith(`model input: ${tile.label} — covers ${Math.round(tile.rect.w)}×${Math.round(tile.rect.h)} at (${Math.round(tile.rect.x)}, ${Math.round(tile.rect.y)})`)) throw new Error(`${tile.id}'s caption reads "${tileCaption}"`);
    const walked = await walkTokens(page, view);
    const visited = [...walked.keys()].sort((x, y) => x - y);
    if (JSON.stringify(visited) !== JSON.stringify(own)) throw new Error(`the keyboard reaches tokens ${visited} in ${tile.id}; the CLI's tokens of that tile are ${own}`);
    const wrong = own.filter((i) => {
      const p = tm.patches[i];
      return !walked.get(i)!.startsWith(`${tile.label}, row ${(p.row ?? 0) + 1}, column ${(p.col ?? 0) + 1}: ${p.words[0].word} ${p.words[0].score!.toFixed(3)}`);
    });
    if (wrong.length) throw new Error(`${wrong.length} tokens of ${tile.id} differ from the CLI, e.g. token ${wrong[0]}: "${walked.get(wrong[0])}"`);
    const tileListed = await listedIdx();
    const wantTileListed = tm.patches.flatMap((p, i) => (p.tile === tileView && p.kind !== 'patch' ? [i] : []));
    if (JSON.stringify(tileListed) !== JSON.stringify(wantTileListed)) throw new Error(`${tile.id} lists tokens ${tileListed}, expected its newlines ${wantTileListed}`);
    steps.push(`${tile.id}: keyboard reached exactly its ${own.length} tokens with the CLI's words; ${tileListed.length} newlines listed`);
    await shot('tile');
    await page.keyboard.press('Escape');
    await select.selectOption('tiles');
    await until(() => overlay.getAttribute('data-view'), (v) => v === 'tiles', 5000, 'back to all tiles');

    // Exports of this geometry: CSV (every token, its view, kind and box, the CLI's words) and PNG.
    const saveThrough = async (button: string, file: string): Promise<Buffer> => {
      rmSync(file, { force: true });
      await view.locator(button).click();
      const box = page.locator('.quick-input-widget input');
      await box.waitFor({ state: 'visible', timeout: 15_000 });
      await until(() => box.inputValue(), (v) => v.endsWith(path.basename(file)), 10_000, `the save dialog proposes …/${path.basename(file)}`);
      await page.keyboard.press('Enter');
      await until(async () => existsSync(file), (x) => x, 15_000, `${file} is written`);
      await until(async () => (await view.locator('#status').textContent()) ?? '', (s) => s.startsWith('Saved to ') && s.includes(path.basename(file)), 10_000, 'the page says where it saved');
      return readFileSync(file);
    };
    const base = path.join(workspace, `${path.parse(name).name}.${first.name}.tokens`);
    const csv = parseCsv((await saveThrough('#export-csv', `${base}.csv`)).toString('utf8'));
    if (csv[0].join(',') !== 'token (1-based),view,kind,row (1-based),col (1-based),box x (px),box y (px),box w (px),box h (px),rank,word,score') throw new Error(`CSV header "${csv[0].join(',')}"`);
    const top = csv.slice(1).filter((r) => r[9] === '1');
    if (top.length !== tm.patches.length) throw new Error(`the CSV has ${top.length} rank-1 rows, the CLI ${tm.patches.length} tokens`);
    const bad = top.filter((r, i) => {
      const p = tm.patches[i];
      const want = [String(i + 1), tm.views[p.tile].id, p.kind, p.row === undefined ? '' : String(p.row + 1), p.col === undefined ? '' : String(p.col + 1), num2(p.box?.x), num2(p.box?.y), num2(p.box?.w), num2(p.box?.h), '1', p.words[0].word];
      return JSON.stringify(r.slice(0, 11)) !== JSON.stringify(want);
    });
    if (bad.length) throw new Error(`${bad.length} CSV rows differ from the CLI's map, e.g. ${bad[0].join(',')}`);
    const csvNewlines = top.filter((r) => r[2] === 'newline');
    if (csvNewlines.length !== newlines.length || csvNewlines.some((r) => r.slice(5, 9).some((f) => f !== ''))) throw new Error('the CSV\'s newline rows are not the CLI\'s newlines without a box');
    const png = await saveThrough('#export-png', `${base}.png`);
    if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('the PNG export does not start with the PNG signature');
    const pw = png.readUInt32BE(16);
    const ph = png.readUInt32BE(20);
    if (Math.max(pw, ph) < 511 || Math.abs(pw / ph - width / height) > 0.02) throw new Error(`the PNG export is ${pw}×${ph} for a ${width}×${height} image`);
    steps.push(`exports: CSV ${csv.length - 1} rows (${top.length} tokens, ${csvNewlines.length} newlines), PNG ${pw}×${ph}`);

    // --- compare the pack's two adapters -------------------------------------------------------------
    // A finished training run whose overlay pack holds another geometry, as after the pack folder was made
    // again with `pack init` from a different model: the pickers list its adapter beside the pack's own
    // (its config names this pack), and comparing with it must be refused. Written before the compare view
    // opens so that its adapter list holds it.
    mkdirSync(runDir, { recursive: true });
    cpSync(otherPack, path.join(runDir, 'pack'), { recursive: true });
    const otherManifest = JSON.parse(readFileSync(path.join(runDir, 'pack', 'manifest.json'), 'utf8')) as { adapters: { name: string }[]; defaultAdapter?: string };
    const otherAdapter = otherManifest.defaultAdapter ?? otherManifest.adapters[0].name;
    writeFileSync(path.join(runDir, 'config.json'), JSON.stringify({ pack, startAdapter: null }));
    writeFileSync(path.join(runDir, 'summary.json'), JSON.stringify({ status: 'done', pack: 'pack', adapter: otherAdapter, steps: 1 }));
    const runLabel = `run 2026-11-30-000000 · ${otherAdapter} · step 1`;

    const tmB = cli(image, pack, 'perturbed');
    const same = tm.patches.filter((p, i) => p.words[0]?.word === tmB.patches[i].words[0]?.word).length;
    const agreementText = `Agreement ${((same / tm.patches.length) * 100).toFixed(1)}% · ${tm.patches.length - same} of ${tm.patches.length} tokens changed`;
    await closeAllEditors(page);
    await runCommand(page, 'SEA Lens: Compare Adapters…');
    await openInDialog(page, 'Compare two adapters on an image', image);
    const cmp = await findWebview(page, '#agreement', 60_000, name);
    await until(async () => (await cmp.locator('#agreement').textContent()) ?? '', (t) => t === agreementText, 150_000, `the compare view shows the CLI's agreement (${agreementText})`);
    const titles = (await cmp.locator('h3').allTextContents()).slice(0, 2);
    if (titles[0] !== `A: ${first.name}` || titles[1] !== 'B: perturbed') throw new Error(`compare titles ${JSON.stringify(titles)}`);
    const panes = cmp.locator('.sl-overlay');
    if ((await panes.count()) !== 3) throw new Error(`the compare view has ${await panes.count()} overlays, expected A, B and the difference`);
    // One switcher drives all three panes: pick a tile in A, B and the difference follow.
    const cmpTile = tm.views[tileViews[0]];
    const cmpOwn = tm.patches.filter((p) => p.tile === tileViews[0] && p.kind === 'patch').length;
    await panes.nth(0).locator('select.sl-view-select').selectOption(cmpTile.id);
    await until(() => panes.evaluateAll((os) => os.map((o) => `${(o as HTMLElement).dataset.view}:${(o as HTMLElement).dataset.tokens}`)),
      (v) => v.every((x) => x === `${cmpTile.id}:${cmpOwn}`), 5000, `all three panes show ${cmpTile.id} (${cmpOwn} patches)`);
    steps.push(`compare ${first.name} vs perturbed: ${agreementText}; panes linked on ${cmpTile.id}`);
    await shot('compare');

    // --- an adapter of another geometry is refused ----------------------------------------------------
    const other = cli(image, path.join(runDir, 'pack'), otherAdapter);
    const selB = cmp.locator('#adapter-b');
    const options3 = await selB.locator('vscode-option').allTextContents();
    if (!options3.some((t) => t.trim() === runLabel)) throw new Error(`adapter B offers ${JSON.stringify(options3)}, not the run "${runLabel}"`);
    await selB.click();
    await cmp.locator('#adapter-b vscode-option', { hasText: runLabel }).first().click({ timeout: 5000 }).catch(async () => {
      // the dropdown draws its options in its own shadow root: pick by keyboard instead (the run is last)
      for (let i = 0; i < options3.length; i++) await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
    });
    const refusal = `Adapters "${first.name}" and "${runLabel}" place the visual tokens of this image differently (${tm.patches.length} vs ${other.patches.length} tokens), so they cannot be compared token by token.`;
    const error = cmp.locator('#error:not([hidden])');
    await error.waitFor({ timeout: 120_000 });
    const errorText = (await error.textContent()) ?? '';
    if (!errorText.includes(refusal) || !errorText.includes('Compare two adapters of the same model (same vision encoder and image processor).')) throw new Error(`the compare view says "${errorText.slice(0, 400)}"; expected "${refusal}" and its fix`);
    await page.locator('.notifications-toasts .notification-list-item', { hasText: 'cannot be compared token by token' }).first().waitFor({ timeout: 10_000 });
    // the earlier result is stale now: its panes and agreement line are hidden, not left under the error
    if (((await cmp.locator('#agreement').textContent()) ?? '').trim() || !(await cmp.locator('#content').isHidden())) {
      throw new Error('the previous agreement line or panes are still shown under the refusal');
    }
    steps.push(`B = ${runLabel} (${other.patches.length} tokens in ${other.views.length} view) → refused: "${refusal}"`);
    await shot('compare-refused');
    return { steps, screenshots };
  } finally {
    await page.screenshot({ path: path.join(shots, 'llava-next-last.png') }).catch(() => undefined);
    // Later scenarios expect the harness's pack and no run of another pack in the workspace.
    rmSync(runDir, { recursive: true, force: true });
    await closeAllEditors(page).catch(() => undefined);
    // Through the command (a settings.json edited on disk may not reach code-server), then the file as it was.
    await selectPack(page, harnessPack).catch((e: Error) => void process.stderr.write(`[e2e] llava-next: could not restore the pack: ${e.message}\n`));
    if (settingsBefore === undefined) rmSync(settingsFile, { force: true });
    else writeFileSync(settingsFile, settingsBefore);
  }
}
