// Outputs that are tables rather than overlays: metrics over a folder (table and bar chart) and the
// patches nearest to a word across a folder (a gallery). Text only reaches the DOM as text nodes.

import type { MetricsPayload, NeighborsPayload } from '../../src/shared/notebookFormat';
import { metricsTable } from '../../src/shared/metricsRows';
import { el, header, type View } from './overlayViews';
import { PayloadError } from './validatePayload';

const SVG = 'http://www.w3.org/2000/svg';

export function renderMetrics(data: unknown, root: HTMLElement): View {
  const p = data as MetricsPayload;
  const r = p?.result;
  if (!r || typeof r.gapD !== 'number') throw new PayloadError('metrics output has no result (expected images, gapD, …).');
  root.dataset.sealensView = 'metrics';
  const t = metricsTable(p);
  root.append(header(`Metrics of ${p.folder} — ${r.pack}, ${t.columns.join(' vs ')}, ${r.images} images`));
  // One table, a column per adapter: the comparison a researcher reads across.
  const table = el('table', 'sln-table');
  table.setAttribute('data-sealens-metrics', '');
  if (t.columns.length > 1) {
    const head = document.createElement('tr');
    head.append(el('th', '', ''), ...t.columns.map((c) => el('th', 'num', c)));
    table.append(head);
  }
  for (const [k, ...vs] of t.rows) {
    const tr = document.createElement('tr');
    tr.append(el('th', '', k), ...vs.map((v) => el('td', 'num', v)));
    table.append(tr);
  }
  root.append(table);
  const bars: [string, number | null][] = [
    ['top-1 accuracy', r.patchWordAccuracy],
    ['top-5 accuracy', r.top5Accuracy],
    ['label agreement', r.labelAgreement],
  ];
  root.append(barChart(bars.filter((b): b is [string, number] => b[1] !== null)));
  return { dispose: () => root.replaceChildren() };
}

/** Horizontal bars for fractions in [0, 1]. */
function barChart(bars: [string, number][]): Element {
  const w = 360, rowH = 22, labelW = 120;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sln-chart');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(rowH * bars.length + 4));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', bars.map(([k, v]) => `${k} ${(v * 100).toFixed(1)} %`).join(', '));
  bars.forEach(([label, v], i) => {
    const y = i * rowH + 2;
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', '0');
    t.setAttribute('y', String(y + 14));
    t.textContent = label;
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('class', 'bar');
    rect.setAttribute('x', String(labelW));
    rect.setAttribute('y', String(y + 3));
    rect.setAttribute('height', String(rowH - 8));
    rect.setAttribute('width', String(Math.max(0, Math.min(1, v)) * (w - labelW - 50)));
    const val = document.createElementNS(SVG, 'text');
    val.setAttribute('x', String(labelW + Math.max(0, Math.min(1, v)) * (w - labelW - 50) + 4));
    val.setAttribute('y', String(y + 14));
    val.textContent = `${(v * 100).toFixed(1)} %`;
    svg.append(t, rect, val);
  });
  return svg;
}

export function renderNeighbors(data: unknown, root: HTMLElement): View {
  const p = data as NeighborsPayload;
  if (!p || !Array.isArray(p.hits)) throw new PayloadError('neighbors output has no hits list.');
  root.dataset.sealensView = 'neighbors';
  root.append(header(`${p.hits.length} patches nearest to "${p.word}" in ${p.folder}`));
  const gallery = el('div', 'sln-gallery');
  for (const h of p.hits) {
    const fig = document.createElement('figure');
    const uri = p.thumbnails?.[h.image];
    if (typeof uri === 'string' && uri.startsWith('data:image/')) {
      const img = document.createElement('img');
      img.src = uri;
      img.alt = h.image;
      fig.append(img);
    }
    fig.append(el('figcaption', '', `${h.image} · row ${h.row}, col ${h.col} · ${h.score.toFixed(3)}`));
    gallery.append(fig);
  }
  root.append(gallery);
  return { dispose: () => root.replaceChildren() };
}
