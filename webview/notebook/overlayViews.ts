// Outputs drawn on the image with the shared token-map overlay (webview/overlay): explain, compare,
// SEA labels and word heatmaps. One overlay implementation serves the panels and the notebook.

import { createTokenMapOverlay, type TokenMapOverlay } from '../overlay/tokenMapOverlay';
import { gridPatches, sameGeometry, type TokenMap } from '../../src/shared/tokenMap';
import type { ComparePayload, LabelsPayload, NotebookTokenMap, WordsNearPayload } from '../../src/shared/notebookFormat';
import { checkImage, checkTokenMap, dataUriImageSize, PayloadError } from './validatePayload';
import { tokenSummary } from '../../src/shared/viewChoices';

export interface View {
  dispose(): void;
}

export function renderTokenMap(data: unknown, root: HTMLElement): View {
  const image = checkImage((data as NotebookTokenMap | null)?.imageDataUri);
  const tm = checkTokenMap(data, 'TokenMap', image);
  root.dataset.sealensView = 'tokenmap';
  root.append(header(`${tm.image} — ${tm.pack} / ${tm.adapter} on ${tm.device}, ${tokenSummary(tm)}${timing(tm)}`, tm.notes));
  const overlay = overlayIn(root, tm, image);
  return overlay;
}

export function renderCompare(data: unknown, root: HTMLElement): View {
  const p = data as ComparePayload;
  const image = checkImage(p?.imageDataUri);
  const a = checkTokenMap(p?.result?.a, 'result.a', image);
  const b = checkTokenMap(p?.result?.b, 'result.b', image);
  if (!sameGeometry(a, b)) {
    throw new PayloadError(`result.a and result.b place their tokens differently (${a.patches.length} vs ${b.patches.length} tokens, ${a.views.length} vs ${b.views.length} views); a comparison needs two adapters of one model on one image.`);
  }
  const changed = Array.isArray(p.result.changed) && p.result.changed.length === a.patches.length ? p.result.changed : null;
  root.dataset.sealensView = 'compare';
  root.append(header(`${p.image}: ${a.adapter} vs ${b.adapter} — same top word on ${(p.result.agreement * 100).toFixed(1)} % of patches; dashed boxes differ`));
  const row = el('div', 'sln-row');
  root.append(row);
  const overlays = [a, b].map((tm) => {
    const panel = el('div', 'sln-panel');
    panel.append(el('h4', '', tm.adapter));
    row.append(panel);
    const o = overlayIn(panel, tm, image);
    o.setMarked(changed);
    return o;
  });
  // The token under the pointer in one panel is outlined in the other.
  overlays.forEach((o, k) => o.onHover((i) => overlays[1 - k].setLinked(i)));
  overlays.forEach((o, k) => o.onViewChange((id) => overlays[1 - k].setView(id)));
  // Clicking a word in one panel highlights it in both, to see where each adapter puts it.
  // (The clicked overlay has already toggled its own highlight; the other follows it.)
  for (const o of overlays) o.onWordClick(() => overlays.forEach((x) => x !== o && x.highlightWord(o.highlighted)));
  return { dispose: () => overlays.forEach((o) => o.dispose()) };
}

export function renderLabels(data: unknown, root: HTMLElement): View {
  const p = data as LabelsPayload;
  const r = p?.result;
  if (!r || !Array.isArray(r.patches) || !r.grid) throw new PayloadError('labels output has no result.patches / result.grid.');
  const image = checkImage(p.imageDataUri);
  const { rows, cols } = r.grid;
  const byCell = new Map(r.patches.map((x) => [x.row * cols + x.col, x]));
  // Two readings of the same labels: the CLIP top-1 candidate per patch, or the label SEA sampled.
  // Labels come on the pack's one grid; the grid is laid over the region of an explain of the same image.
  const size = p.imageSize ?? dataUriImageSize(image) ?? { width: cols, height: rows };
  const reg = p.region ?? { x: 0, y: 0, width: size.width, height: size.height };
  const asTokenMap = (mode: 'sampled' | 'top1'): TokenMap => checkTokenMap({
    version: 2, image: p.image, pack: r.pack, adapter: mode === 'sampled' ? 'SEA label (sampled)' : 'CLIP top-1', device: 'cpu',
    grid: r.grid, timings: {}, imageSize: size, region: p.region,
    views: [{ id: 'image', label: 'image', rect: { x: reg.x, y: reg.y, w: reg.width, h: reg.height }, grid: r.grid }],
    patches: gridPatches(r.grid, { x: reg.x, y: reg.y, w: reg.width, h: reg.height }, Array.from({ length: rows * cols }, (_, i) => {
      const cand = byCell.get(i)?.candidates ?? [];
      const sampled = byCell.get(i)?.sampled;
      const first = mode === 'sampled' && sampled ? cand.filter((c) => c.word === sampled) : [];
      return mode === 'sampled' && !sampled ? [] : [...first, ...cand.filter((c) => !first.includes(c))];
    })),
  }, 'labels');
  root.dataset.sealensView = 'labels';
  root.append(header(`SEA labels of ${p.image} — ${r.pack}, ${rows}×${cols} patches, candidates = CLIP top-${maxLen(r.patches)} after the threshold (sign ${r.sign})`));
  const toggle = el('label', 'sln-toggle', 'Show on each patch: ');
  const select = document.createElement('select');
  for (const [v, t] of [['sampled', 'the sampled label'], ['top1', 'the top candidate']]) select.append(new Option(t, v));
  toggle.append(select);
  root.append(toggle);
  const overlay = overlayIn(root, asTokenMap('sampled'), image, 10);
  select.addEventListener('change', () => overlay.update(asTokenMap(select.value as 'sampled' | 'top1'), image));
  return overlay;
}

export function renderWordsNear(data: unknown, root: HTMLElement): View {
  const p = data as WordsNearPayload;
  const image = checkImage(p?.imageDataUri);
  const tm = checkTokenMap(p?.tokenMap, 'tokenMap', image);
  const n = tm.patches.length;
  if (!Array.isArray(p.map?.values) || p.map.values.length !== n) throw new PayloadError(`map.values has ${p.map?.values?.length ?? 'no'} entries; the token map has ${n} tokens.`);
  root.dataset.sealensView = 'wordsnear';
  const best = Math.max(...p.map.values);
  root.append(header(`${tm.image}: cosine of each visual token to "${p.word}" (${tm.adapter}); best ${best.toFixed(3)}`));
  const overlay = overlayIn(root, tm, image);
  overlay.setHeatmap(p.map);
  overlay.highlightWord(p.word);
  return overlay;
}

function overlayIn(parent: HTMLElement, tm: TokenMap, image: string, topK = 5): TokenMapOverlay {
  const host = el('div', 'sln-overlay');
  parent.append(host);
  const overlay = createTokenMapOverlay(host, { topK, maxHeightPx: 560 });
  overlay.update(tm, image);
  overlay.ready.catch((err: Error) => {
    const box = el('div', 'sln-error', `The image could not be drawn: ${err.message}`);
    host.replaceChildren(box);
  });
  return overlay;
}

export function header(text: string, notes?: string[]): HTMLElement {
  const h = el('div', 'sln-head', text);
  for (const n of notes ?? []) h.append(el('div', '', `⚠ ${n}`));
  return h;
}

export function el(tag: string, className: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function timing(tm: TokenMap): string {
  const t = tm.timings?.total;
  return typeof t === 'number' ? `, ${t.toFixed(0)} ms` : '';
}

function maxLen(patches: { candidates: unknown[] }[]): number {
  return Math.max(0, ...patches.map((p) => p.candidates.length));
}
