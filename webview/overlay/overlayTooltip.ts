// The hover/focus tooltip: where the token is and its top-k words with cosine scores and bars. Extra lines
// (the compare view's other adapter) come from the caller. Text nodes only: words are untrusted.

import { scoreText, type Rect } from '../../src/shared/overlayLayout';
import type { PatchWords } from '../../src/shared/tokenMap';

export interface Tooltip {
  show(title: string, p: PatchWords, topK: number, anchor: Rect, bounds: { width: number; height: number }, extra?: string[]): void;
  hide(): void;
  readonly element: HTMLElement;
}

export function createTooltip(parent: HTMLElement): Tooltip {
  const tip = document.createElement('div');
  tip.className = 'sl-tooltip';
  tip.hidden = true;
  tip.setAttribute('role', 'tooltip');
  parent.append(tip);
  const div = (cls: string, text?: string) => {
    const d = document.createElement(text === undefined ? 'div' : 'span');
    d.className = cls;
    if (text !== undefined) d.textContent = text;
    return d;
  };
  return {
    element: tip,
    show(title, p, topK, r, bounds, extra = []) {
      const title_ = div('sl-tooltip-title');
      title_.textContent = title;
      const rows: HTMLElement[] = [title_];
      const words = p.words.slice(0, topK);
      const best = Math.max(1e-9, ...words.map((w) => Math.abs(w.score ?? 0)));
      for (const w of words) {
        const row = div('sl-tooltip-row');
        const bar = div('sl-tooltip-bar');
        bar.style.transform = `scaleX(${Math.max(0, w.score ?? 0) / best})`; // CSSOM, allowed under the CSP
        row.append(div('sl-tooltip-word', w.word), div('sl-tooltip-score', scoreText(w.score)), bar);
        rows.push(row);
      }
      if (!words.length) rows.push(div('sl-tooltip-extra', 'no word'));
      for (const line of extra) rows.push(Object.assign(div('sl-tooltip-extra'), { textContent: line }));
      tip.replaceChildren(...rows);
      tip.hidden = false;
      const tw = tip.offsetWidth;
      const th = tip.offsetHeight;
      const left = Math.min(Math.max(0, r.x + r.width + 6), Math.max(0, bounds.width - tw));
      const top = r.y + r.height + 6 + th > bounds.height ? Math.max(0, r.y - th - 6) : r.y + r.height + 6;
      tip.style.left = `${left}px`;
      tip.style.top = `${top}px`;
    },
    hide() {
      tip.hidden = true;
    },
  };
}
