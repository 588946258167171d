// text/plain and text/html alternatives of every SEA Lens output, so that viewers without the SEA Lens
// renderer (GitHub, a Jupyter front end without the extension, a terminal) still show the answer. They
// are derived from the primary payload on load and at run time, so the notebook file stores only that.

import { metricsTable, percent as pct } from '../shared/metricsRows';
import { TOKENMAP_MIME, type TokenMap } from '../shared/tokenMap';
import {
  COMPARE_MIME, LABELS_MIME, METRICS_MIME, NEIGHBORS_MIME, WORDS_NEAR_MIME,
  type ComparePayload, type LabelsPayload, type MetricsPayload, type NeighborsPayload, type NotebookFileOutput, type WordsNearPayload,
} from '../shared/notebookFormat';

/** The text/plain and text/html items for a primary output, or [] for a MIME this module does not know. */
export function fallbackOutputs(primary: NotebookFileOutput): NotebookFileOutput[] {
  const made = describe(primary);
  if (!made) return [];
  return [
    { mime: 'text/html', data: made.html },
    { mime: 'text/plain', data: made.text },
  ];
}

function describe(o: NotebookFileOutput): { text: string; html: string } | undefined {
  try {
    switch (o.mime) {
      case TOKENMAP_MIME: {
        const tm = o.data as TokenMap & { imageDataUri?: string };
        return { text: tokenMapText(tm), html: img(tm.imageDataUri) + wordGridHtml(tm) };
      }
      case COMPARE_MIME: {
        const p = o.data as ComparePayload;
        const head = `compare ${p.image}: ${p.result.a.adapter} vs ${p.result.b.adapter}, top word agreement ${pct(p.result.agreement)}`;
        return {
          text: `${head}\n\n${tokenMapText(p.result.a)}\n\n${tokenMapText(p.result.b)}`,
          html: `<p>${esc(head)}</p>${img(p.imageDataUri)}${wordGridHtml(p.result.a)}${wordGridHtml(p.result.b)}`,
        };
      }
      case LABELS_MIME: {
        const p = o.data as LabelsPayload;
        const { rows, cols } = p.result.grid;
        const grid = gridOf(rows, cols, (r, c) => p.result.patches.find((x) => x.row === r && x.col === c)?.sampled ?? '–');
        const head = `SEA labels of ${p.image} (${p.result.pack}, ${rows}×${cols}, sampled label per patch)`;
        return { text: `${head}\n${textGrid(grid)}`, html: `<p>${esc(head)}</p>${img(p.imageDataUri)}${htmlGrid(grid)}` };
      }
      case WORDS_NEAR_MIME: {
        const p = o.data as WordsNearPayload;
        const { rows, cols } = p.map.grid ?? { rows: 1, cols: p.map.values.length };
        const grid = gridOf(rows, cols, (r, c) => (p.map.values[r * cols + c] ?? NaN).toFixed(2));
        const head = `cosine of every visual token of ${p.tokenMap.image} to "${p.word}"`;
        return { text: `${head}\n${textGrid(grid)}`, html: `<p>${esc(head)}</p>${img(p.imageDataUri)}${htmlGrid(grid)}` };
      }
      case NEIGHBORS_MIME: {
        const p = o.data as NeighborsPayload;
        const lines = p.hits.map((h) => `${h.image}  row ${h.row} col ${h.col}  ${h.score.toFixed(3)}`);
        const head = `patches nearest to "${p.word}" in ${p.folder}`;
        const rows = p.hits.map((h) => `<tr><td>${esc(h.image)}</td><td>${h.row}</td><td>${h.col}</td><td>${h.score.toFixed(3)}</td></tr>`).join('');
        return { text: [head, ...lines].join('\n'), html: `<p>${esc(head)}</p><table><tr><th>image</th><th>row</th><th>col</th><th>cosine</th></tr>${rows}</table>` };
      }
      case METRICS_MIME: {
        const p = o.data as MetricsPayload;
        const { columns, rows } = metricsTable(p);
        const adapters = columns.length > 1 ? `adapters ${columns.join(', ')}` : `adapter ${p.result.adapter}`;
        const width = Math.max(...rows.map((r) => r[0].length));
        return {
          text: [
            `metrics of ${p.folder} (${p.result.pack}, ${adapters})`,
            ...(columns.length > 1 ? [`${''.padEnd(width)}  ${columns.join(' | ')}`] : []),
            ...rows.map(([k, ...v]) => (columns.length > 1 ? `${k.padEnd(width)}  ${v.join(' | ')}` : `${k}: ${v[0]}`)),
          ].join('\n'),
          html: `<table>${columns.length > 1 ? `<tr><th></th>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>` : ''}${rows
            .map(([k, ...v]) => `<tr><th>${esc(k)}</th>${v.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`).join('')}</table>`,
        };
      }
    }
  } catch {
    return undefined; // a payload of the wrong shape gets no fallback rather than a failed load
  }
  return undefined;
}

function tokenMapText(tm: TokenMap): string {
  if (!tm.grid) return `${tm.image} — ${tm.pack}/${tm.adapter} on ${tm.device}, ${tm.patches.length} visual tokens in ${tm.views.length} views, top word per token:\n${viewLines(tm)}`;
  const { rows, cols } = tm.grid;
  const grid = gridOf(rows, cols, (r, c) => tm.patches[r * cols + c]?.words[0]?.word ?? '–');
  return `${tm.image} — ${tm.pack}/${tm.adapter} on ${tm.device}, ${rows}×${cols} visual tokens, top word per patch:\n${textGrid(grid)}`;
}

/** Multi-view maps: one line per view row, tokens in the LLM's order. */
function viewLines(tm: TokenMap): string {
  const lines: string[] = [];
  let key = '';
  for (const p of tm.patches) {
    const k = `${tm.views[p.tile]?.label ?? p.tile} row ${(p.row ?? 0) + 1}`;
    if (k !== key) lines.push(`${k}:`);
    key = k;
    lines[lines.length - 1] += ` ${p.kind === 'patch' ? (p.words[0]?.word ?? '–') : `[${p.kind}: ${p.words[0]?.word ?? '–'}]`}`;
  }
  return lines.join('\n');
}

function wordGridHtml(tm: TokenMap): string {
  if (!tm.grid) return `<p>${esc(`${tm.pack}/${tm.adapter}: top word per token`)}</p><pre>${esc(viewLines(tm))}</pre>`;
  const { rows, cols } = tm.grid;
  const grid = gridOf(rows, cols, (r, c) => tm.patches[r * cols + c]?.words[0]?.word ?? '–');
  return `<p>${esc(`${tm.pack}/${tm.adapter}: top word per patch`)}</p>${htmlGrid(grid)}`;
}

function gridOf(rows: number, cols: number, cell: (r: number, c: number) => string): string[][] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => cell(r, c)));
}

function textGrid(grid: string[][]): string {
  const width = Math.max(1, ...grid.flat().map((s) => s.length));
  return grid.map((row) => row.map((s) => s.padEnd(width)).join(' ').trimEnd()).join('\n');
}

function htmlGrid(grid: string[][]): string {
  return `<table>${grid.map((row) => `<tr>${row.map((s) => `<td>${esc(s)}</td>`).join('')}</tr>`).join('')}</table>`;
}

function img(uri: string | undefined): string {
  return uri && /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(uri) ? `<img src="${uri}" style="max-width:320px" alt="">` : '';
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
