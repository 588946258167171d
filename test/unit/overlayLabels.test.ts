// The label painter (screen and PNG export): each label is drawn at the size fitLabel chose, even when the
// text measurer uses the same canvas at another size (the export's first version drew every label at the
// 100-px measuring size), only where it fits, and faint when another word is highlighted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paintLabels } from '../../webview/overlay/overlayLabels';
import { DEFAULT_FIT, fitLabel } from '../../src/shared/overlayLayout';
import { gridMap } from '../fixtures/tokenMaps';

/** The parts of a 2D context paintLabels uses, recording each fillText with the font and alpha in effect. */
function recordingContext() {
  const drawn: { text: string; font: string; alpha: number; x: number; y: number }[] = [];
  const ctx = {
    font: '10px sans-serif', globalAlpha: 1, lineJoin: 'miter', textAlign: 'start', textBaseline: 'alphabetic', lineWidth: 1, strokeStyle: '', fillStyle: '',
    save() {}, restore() {}, strokeText() {},
    fillText(text: string, x: number, y: number) {
      drawn.push({ text, font: ctx.font, alpha: ctx.globalAlpha, x, y });
    },
  };
  return { ctx, drawn };
}

test('each label at its fitted size, centred in its box, even when measuring changes the font', () => {
  const { ctx, drawn } = recordingContext();
  const tm = gridMap(2, 2, { width: 200, height: 100 });
  const measureEm = (t: string) => {
    ctx.font = '600 100px sans-serif'; // what the export's measurer did on the same context
    return t.length * 0.6;
  };
  const fit = { ...DEFAULT_FIT, measureEm };
  const boxes = tm.patches.map((p) => p.box);
  const n = paintLabels(ctx as unknown as CanvasRenderingContext2D, {
    tm, boxes, indices: [0, 1, 2, 3], t: { k: 1, x: 0, y: 0 }, width: 200, height: 100, fit, hits: null, text: '#fff', halo: '#000', family: 'sans-serif',
  });
  assert.equal(n, 4);
  drawn.forEach((d, i) => {
    const f = fitLabel(tm.patches[i].words[0].word, 100, 50, fit);
    assert.equal(d.font, `600 ${f.fontPx.toFixed(1)}px sans-serif`);
    assert.equal(d.text, f.text);
    assert.deepEqual([d.x, d.y], [boxes[i]!.x + 50, boxes[i]!.y + 25]);
  });
});

test('off-screen boxes and labels that do not fit are skipped; dimmed tokens are faint', () => {
  const { ctx, drawn } = recordingContext();
  const tm = gridMap(2, 2, { width: 200, height: 100 });
  const hits = new Uint8Array([1, 0, 0, 0]);
  const n = paintLabels(ctx as unknown as CanvasRenderingContext2D, {
    tm, boxes: tm.patches.map((p) => p.box), indices: [0, 1, 2, 3], t: { k: 1, x: -100, y: 0 }, width: 100, height: 100,
    fit: DEFAULT_FIT, hits, text: '#fff', halo: '#000', family: 'sans-serif',
  });
  assert.equal(n, 2, 'panned half a width: the left column is off screen');
  assert.deepEqual(drawn.map((d) => d.alpha), [0.25, 0.25]);
  const tiny = recordingContext();
  assert.equal(paintLabels(tiny.ctx as unknown as CanvasRenderingContext2D, {
    tm, boxes: tm.patches.map((p) => p.box), indices: [0, 1, 2, 3], t: { k: 0.05, x: 0, y: 0 }, width: 100, height: 100,
    fit: DEFAULT_FIT, hits: null, text: '#fff', halo: '#000', family: 'sans-serif',
  }), 0, 'at 5 × 2.5 px per token nothing is legible');
});
