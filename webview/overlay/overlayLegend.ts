// The legend under the image: a colour bar with its range for a continuous heat layer, or swatches with
// counts for a categorical one (e.g. "same top word 1,820 · changed 1,060").

import { interpolateViridis } from 'd3';
import type { HeatValues } from '../../src/shared/overlayLayout';

export interface Categories {
  /** Category index per token (in TokenMap.patches order); NaN or out of range = no colour. */
  values: readonly number[];
  names: string[];
  colours: string[];
  label: string;
}

export function renderContinuousLegend(legend: HTMLElement, heat: HeatValues | undefined): void {
  legend.replaceChildren();
  legend.hidden = heat === undefined;
  if (!heat) return;
  const bar = document.createElement('canvas');
  bar.width = 160;
  bar.height = 10;
  const ctx = bar.getContext('2d');
  if (ctx) for (let x = 0; x < 160; x++) {
    ctx.fillStyle = interpolateViridis(x / 159);
    ctx.fillRect(x, 0, 1, 10);
  }
  const span = (cls: string, text: string) => Object.assign(document.createElement('span'), { className: cls, textContent: text });
  legend.append(span('sl-legend-name', heat.label), span('', heat.min.toFixed(3)), bar, span('', heat.max.toFixed(3)));
}

/** Counts per category among `indices`. */
export function categoryCounts(cat: Categories, indices: readonly number[]): number[] {
  const counts = cat.names.map(() => 0);
  for (const i of indices) {
    const v = cat.values[i];
    if (Number.isInteger(v) && v >= 0 && v < counts.length) counts[v]++;
  }
  return counts;
}

/** Swatches with counts among `indices` (the tokens of the current view; `total` = all tokens of the map). */
export function renderCategoryLegend(legend: HTMLElement, cat: Categories, indices: readonly number[], total: number): void {
  const counts = categoryCounts(cat, indices);
  const scope = indices.length === total ? '' : ` — counts in this view (${indices.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} tokens)`;
  const name = Object.assign(document.createElement('span'), { className: 'sl-legend-name', textContent: cat.label + scope });
  const items = cat.names.map((n, k) => {
    const item = document.createElement('span');
    item.className = 'sl-legend-item';
    const sw = document.createElement('span');
    sw.className = 'sl-swatch';
    sw.style.background = cat.colours[k]; // CSSOM, allowed under the CSP
    item.append(sw, document.createTextNode(`${n}: ${counts[k].toLocaleString('en-US')}`));
    return item;
  });
  legend.replaceChildren(name, ...items);
  legend.hidden = false;
}
