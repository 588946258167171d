// The WCAG contrast ratio the real-VS-Code theme scenario (test/e2e/themes.e2e.ts) asserts ≥ 4.5 with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { contrastRatio, SAMPLE_JS } from '../e2e/themes.e2e';
import { browserMissing, openPage } from '../fixtures/overlayPage';

test('contrastRatio: WCAG 2 reference values, symmetric', () => {
  assert.equal(contrastRatio([0, 0, 0], [255, 255, 255]), 21);
  assert.equal(contrastRatio([255, 255, 255], [0, 0, 0]), 21);
  assert.equal(contrastRatio([90, 90, 90], [90, 90, 90]), 1);
  // #777 on white is the classic just-below-AA grey (4.48), #767676 the lightest grey that passes (4.54)
  assert.ok(Math.abs(contrastRatio([0x77, 0x77, 0x77], [255, 255, 255]) - 4.48) < 0.01);
  assert.ok(contrastRatio([0x76, 0x76, 0x76], [255, 255, 255]) >= 4.5);
  // VS Code's Dark Modern text on its editor background
  assert.ok(contrastRatio([0xcc, 0xcc, 0xcc], [0x1f, 0x1f, 0x1f]) > 10);
});

// The in-page sampler of the theme scenario, in Chromium on a page styled like a VS Code webview: the page
// is transparent over --vscode-editor-background, and a caption at opacity 0.8 is blended over it.
test('SAMPLE_JS: colours as drawn (opacity and alpha blended over the editor background)', { skip: browserMissing() }, async () => {
  // any bundle will do as the page's script (the fixture maps' module): the page only has to exist
  const h = await openPage(fileURLToPath(new URL('../fixtures/tokenMaps.ts', import.meta.url)), '<div class="cap" style="opacity:0.8;color:rgb(204, 204, 204)">model input: x</div><p id="a" style="background:rgba(255,0,0,0.5);color:#fff">A</p>');
  try {
    const got = await h.page.evaluate(`(() => {
      document.documentElement.style.setProperty('--vscode-editor-background', '#1f1f1f');
      document.body.style.background = 'transparent';
      document.body.style.color = 'rgb(10, 20, 30)';
      document.body.dataset.vscodeThemeKind = 'vscode-dark';
      return (${SAMPLE_JS})(document.body, ['.cap', '#a', '#missing']);
    })()`) as { kind: string; page: { fg: number[]; bg: number[] }; lines: Record<string, { fg: number[]; bg: number[]; text: string } | null> };
    assert.equal(got.kind, 'vscode-dark');
    assert.deepEqual(got.page.bg, [31, 31, 31]);
    assert.deepEqual(got.page.fg, [10, 20, 30]);
    assert.deepEqual(got.lines['.cap']!.fg.map(Math.round), [169, 169, 169]); // 0.8 × 204 + 0.2 × 31
    assert.equal(got.lines['.cap']!.text, 'model input: x');
    assert.deepEqual(got.lines['#a']!.bg.map(Math.round), [143, 16, 16]); // half red over #1f1f1f
    assert.equal(got.lines['#missing'], null);
  } finally {
    await h.close();
  }
});
