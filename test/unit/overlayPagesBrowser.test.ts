// The explain and Compare Adapters pages (webview/explain/main.ts, webview/compare/main.ts, bundled as VS
// Code loads them) in Chromium, fed the messages the host sends. Explain: the "Highlighted: …" line comes
// with a click, goes with Escape, and never moves the image. Compare: a LLaVA-NeXT comparison (2,928 tokens in 5 views) shows the agreement, the
// changed/unchanged map as two categories with counts, and linked hover between the panes; a comparison of
// two maps of different geometry is refused with a message. Skips, saying why, where there is no Chromium.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { browserMissing, openPage, type HarnessPage } from '../fixtures/overlayPage';
import { gridMap, llavaNextMap } from '../fixtures/tokenMaps';
import { TOKENMAP_MIME } from '../../src/shared/tokenMap';
import type { TokenMap } from '../../src/shared/tokenMap';

// A stand-in for VS Code's webview API that records what the page posts.
const PREAMBLE = `window.__posted = []; window.__state = undefined;
window.acquireVsCodeApi = function () { return { postMessage: function (m) { window.__posted.push(m); }, getState: function () { return window.__state; }, setState: function (s) { window.__state = s; } }; };`;
const BODY = `<div id="sealens-app" data-state='{"image":"file:///fixture.png"}'></div>`;

function comparison(): { a: TokenMap; b: TokenMap; changed: boolean[]; agreement: number } {
  const a = { ...llavaNextMap(), adapter: 'base' };
  const b = structuredClone({ ...a, adapter: 'sea' });
  // Every seventh token gets another top word.
  b.patches.forEach((p, i) => {
    if (i % 7 === 0) p.words = [{ word: 'zebra', score: 0.95 }, ...p.words.slice(0, 4)];
  });
  const changed = a.patches.map((p, i) => p.words[0].word !== b.patches[i].words[0].word);
  return { a, b, changed, agreement: changed.filter((c) => !c).length / changed.length };
}

describe('compare view in Chromium', { skip: browserMissing() }, () => {
  let h: HarnessPage;
  before(async () => {
    h = await openPage(fileURLToPath(new URL('../../webview/compare/main.ts', import.meta.url)), BODY, { width: 1500, height: 1000 }, PREAMBLE);
  });
  after(async () => {
    await h?.close();
  });
  const post = (msg: unknown) => h.page.evaluate((m) => {
    const c = document.createElement('canvas');
    c.width = c.height = 672;
    c.getContext('2d')!.fillRect(0, 0, 672, 672);
    const payload = (m as { payload?: { imageUrl?: string } }).payload;
    if (payload) payload.imageUrl = c.toDataURL();
    window.postMessage(m, '*');
  }, msg);

  it('agreement, the categorical changed/unchanged map with counts, linked hover between the panes', async () => {
    const r = comparison();
    await post({ kind: 'compare', payload: { result: r, imageUrl: '', adapters: ['base', 'sea'], adapterA: 'base', adapterB: 'sea', topK: 5 } });
    const nChanged = r.changed.filter(Boolean).length;
    await h.page.locator('#agreement', { hasText: 'Agreement' }).waitFor();
    assert.equal(await h.page.locator('#agreement').textContent(), `Agreement ${(r.agreement * 100).toFixed(1)}% · ${nChanged} of 2928 tokens changed`);
    const overlays = h.page.locator('.sl-overlay');
    await h.page.locator('.sl-overlay[data-tokens="2304"]').nth(2).waitFor({ state: 'attached' });
    // The difference pane (third): two categories, counted over the tokens of its view (the combined tiles).
    const inView = r.a.patches.flatMap((p, i) => (p.tile >= 1 ? [i] : []));
    const changedInView = inView.filter((i) => r.changed[i]).length;
    const items = await overlays.nth(2).locator('.sl-legend-item').allTextContents();
    assert.deepEqual(items, [`same top word: ${(inView.length - changedInView).toLocaleString('en-US')}`, `top word changed: ${changedInView.toLocaleString('en-US')}`]);
    assert.match((await overlays.nth(2).locator('.sl-legend-name').textContent()) ?? '', /counts in this view \(2,352 of 2,928 tokens\)/);
    assert.equal(await overlays.nth(2).locator('.sl-legend canvas').count(), 0, 'no continuous colour bar');
    // Hover token 576 (tile 1,1 row 1 col 1) in pane A: pane B outlines the same token; both words are named.
    const svgA = overlays.nth(0).locator('.sl-svg');
    const box = (await svgA.boundingBox())!;
    const k = box.width / 672;
    await h.page.mouse.move(box.x + 7 * k, box.y + 7 * k);
    const linkedB = overlays.nth(1).locator('rect.sl-linked');
    await linkedB.waitFor({ state: 'visible' });
    const [x, y] = [Number(await linkedB.getAttribute('x')), Number(await linkedB.getAttribute('y'))];
    assert.ok(Math.abs(x) < 1 && Math.abs(y) < 1, `pane B outlines the top-left token (${x}, ${y})`);
    const wa = r.a.patches[576].words[0].word;
    const wb = r.b.patches[576].words[0].word;
    assert.equal(await h.page.locator('#linked').textContent(), `token 577: A “${wa}” ${r.changed[576] ? '→' : '='} B “${wb}”`);
    const extra = await overlays.nth(0).locator('.sl-tooltip-extras').textContent();
    assert.match(extra ?? '', new RegExp(`^B \\(sea\\): ${wb} `));
    // Picking a view in one pane shows it in all three.
    await overlays.nth(1).locator('.sl-view-select').selectOption('tile-1-2');
    for (const k of [0, 1, 2]) assert.equal(await overlays.nth(k).getAttribute('data-view'), 'tile-1-2');
    assert.equal(await overlays.nth(0).locator('.sl-view-select').inputValue(), 'tile-1-2', 'the other switchers follow');
  });

  it('EXPECTED FAILURE - maps of different geometry are refused, never drawn token by token', async () => {
    const r = comparison();
    const other = { ...gridMap(24, 24, { width: 672, height: 672 }), adapter: 'sea' };
    await post({ kind: 'compare', payload: { result: { a: r.a, b: other, changed: r.changed, agreement: 0.5 }, imageUrl: '', adapters: ['base', 'sea'], adapterA: 'base', adapterB: 'sea', topK: 5 } });
    await h.page.waitForTimeout(200);
    const posted = await h.page.evaluate(() => (window as unknown as { __posted: { kind: string; message?: string }[] }).__posted.filter((m) => m.kind === 'webviewError').map((m) => m.message));
    assert.ok(posted.some((m) => /place their tokens differently \(2928 vs 576 tokens\)/.test(m ?? '')), `reported: ${JSON.stringify(posted)}`);
    assert.match((await h.page.locator('#agreement').textContent()) ?? '', /of 2928 tokens changed/, 'the last valid comparison stays');
  });
});

describe('explain view in Chromium', { skip: browserMissing() }, () => {
  let h: HarnessPage;
  before(async () => {
    h = await openPage(fileURLToPath(new URL('../../webview/explain/main.ts', import.meta.url)), BODY, { width: 1200, height: 1000 }, PREAMBLE);
  });
  after(async () => {
    await h?.close();
  });

  it('the highlight line: set by Enter, cleared by Escape, its space reserved; the focus ring is drawn', async () => {
    const tm = { ...gridMap(8, 8, { width: 96, height: 96 }), notes: ['alpha → white'] };
    await h.page.evaluate((m) => {
      const c = document.createElement('canvas');
      c.width = c.height = 96;
      c.getContext('2d')!.fillRect(0, 0, 96, 96);
      m.payload.imageUrl = c.toDataURL();
      window.postMessage(m, '*');
    }, { kind: 'explain', payload: { tokenMap: tm, imageUrl: '', adapters: ['sea'], adapter: 'sea', topK: 5 } });
    await h.page.locator('.sl-overlay[data-tokens="64"]').waitFor({ state: 'attached' });
    const top = async () => (await h.page.locator('.sl-viewport').boundingBox())!.y;
    const before = await top();
    await h.page.focus('.sl-svg');
    await h.page.keyboard.press('Enter');
    const word = tm.patches[0].words[0].word;
    const want = tm.patches.filter((p) => p.words[0].word === word).length;
    assert.equal(await h.page.locator('#status').textContent(), `Highlighted: patches whose top word is “${word}” (${want}; click again or press Escape to clear)`);
    assert.equal(await top(), before, 'the status line does not push the image down');
    const ring = h.page.locator('rect.sl-focus');
    assert.ok(await ring.isVisible(), 'the focus ring is drawn');
    assert.match(await ring.evaluate((r) => getComputedStyle(r).strokeWidth), /^3(px)?$/);
    await h.page.keyboard.press('Escape');
    assert.equal(await h.page.locator('#status').textContent(), '');
    assert.equal(await top(), before);
    assert.match((await h.page.locator('.sl-caption').textContent()) ?? '', /^model input: model input 96×96 — covers the whole 96×96 image; alpha → white$/);
    assert.ok(await h.page.locator('img.sl-image.sl-pixelated').count(), 'an enlarged image is drawn with square pixels');
  });
});

// The notebook renderer as VS Code calls it (activate → renderOutputItem into an element), on stored outputs.
const RENDERER_ENTRY = `import { activate } from ${JSON.stringify(fileURLToPath(new URL('../../webview/notebook/renderer.ts', import.meta.url)))};
const r = activate({});
window.renderOutput = (id, mime, data) => {
  const el = document.createElement('div');
  el.id = id;
  document.body.append(el);
  r.renderOutputItem({ id, mime, json: () => data }, el);
};`;

describe('notebook renderer in Chromium', { skip: browserMissing() }, () => {
  let h: HarnessPage;
  before(async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const entry = join(mkdtempSync(join(tmpdir(), 'sealens-renderer-')), 'entry.ts');
    writeFileSync(entry, RENDERER_ENTRY);
    h = await openPage(entry, '', { width: 1000, height: 900 });
  });
  after(async () => {
    await h?.close();
  });
  const render = (id: string, data: unknown) => h.page.evaluate(([i, m, d]) => {
    const c = document.createElement('canvas');
    c.width = c.height = 96;
    c.getContext('2d')!.fillRect(0, 0, 96, 96);
    (d as { imageDataUri: string }).imageDataUri = c.toDataURL('image/png');
    (window as unknown as { renderOutput: (a: unknown, b: unknown, c: unknown) => void }).renderOutput(i, m, d);
  }, [id, TOKENMAP_MIME, data] as const);

  it('a version-1 TokenMap from an old notebook is upgraded and drawn on its 96-px image', async () => {
    const v1 = { image: 'a.png', pack: 'p', adapter: 'sea', device: 'cpu', grid: { rows: 2, cols: 2 }, timings: {},
      patches: [0, 1, 2, 3].map((i) => ({ row: i >> 1, col: i & 1, words: [{ word: `w${i}`, score: 0.5 }] })) };
    await render('v1', v1);
    const overlay = h.page.locator('#v1 .sl-overlay[data-tokens="4"]');
    await overlay.waitFor({ state: 'attached' });
    assert.equal(await overlay.getAttribute('data-labels'), '4', 'every word fits its 2×2 cell and is drawn');
    // The image lies exactly under the token boxes (the fitted view covers the viewport).
    const [img, vp] = await Promise.all([h.page.locator('#v1 img.sl-image').boundingBox(), h.page.locator('#v1 .sl-viewport').boundingBox()]);
    for (const k of ['x', 'y', 'width', 'height'] as const) assert.ok(Math.abs(img![k] - vp![k]) < 1, `image ${k} ${img![k]} vs viewport ${vp![k]}`);
    assert.ok(vp!.width >= 500, `a 96-px image is enlarged for reading (${vp!.width} px)`);
    assert.equal(await h.page.locator('#v1 .sl-current').textContent(), 'row 1, column 1: w0 0.500');
    assert.match((await h.page.locator('#v1 .sln-head').textContent()) ?? '', /2×2 patches/);
    await h.page.locator('#v1 .sl-svg').click({ position: { x: 5, y: 5 } });
    assert.equal(await overlay.getAttribute('data-hits'), '1', 'a click highlights the word (and does not toggle it off again)');
  });

  it('EXPECTED FAILURE - a map whose boxes leave the image shows why in the output', async () => {
    const bad = structuredClone(gridMap(2, 2, { width: 96, height: 96 }));
    bad.patches[3].box = { x: 48, y: 48, w: 64, h: 48 };
    await render('bad', bad);
    const msg = (await h.page.locator('#bad .sln-error').textContent()) ?? '';
    assert.match(msg, /TokenMap\.patches\[3\]\.box \{"x":48,"y":48,"w":64,"h":48\} leaves the 96×96 image\. Run the cell again/);
    assert.equal(await h.page.locator('#bad .sl-overlay').count(), 0, 'nothing is drawn');
  });
});
