// The hover/focus tooltip: where the token is and its top-k words with cosine scores and bars. Extra lines
// (the compare view's other adapter) come from the caller. Text nodes only: words are untrusted.
// Hovering runs at pointer rate over thousands of tokens, so the rows are reused (only their text changes)
// and the size used for placement is the one measured after the previous paint: the handler never forces a
// synchronous layout.

import { scoreText, type Rect } from '../../src/shared/overlayLayout';
import type { PatchWords } from '../../src/shared/tokenMap';

export interface Tooltip {
  show(title: string, p: PatchWords, topK: number, anchor: Rect, bounds: { width: number; height: number }, extra?: string[]): void;
  hide(): void;
  readonly element: HTMLElement;
}

interface Row {
  row: HTMLElement;
  word: HTMLElement;
  score: HTMLElement;
  bar: HTMLElement;
}

const make = (tag: string, cls: string): HTMLElement => {
  const e = document.createElement(tag);
  e.className = cls;
  return e;
};

export function createTooltip(parent: HTMLElement): Tooltip {
  const tip = make('div', 'sl-tooltip');
  tip.hidden = true;
  tip.setAttribute('role', 'tooltip');
  const title = make('div', 'sl-tooltip-title');
  const extras = make('div', 'sl-tooltip-extras');
  tip.append(title, extras);
  parent.append(tip);
  const rows: Row[] = [];
  let size = { width: 160, height: 120 };
  let measure = 0;

  function rowAt(j: number): Row {
    while (rows.length <= j) {
      const r: Row = { row: make('div', 'sl-tooltip-row'), word: make('span', 'sl-tooltip-word'), score: make('span', 'sl-tooltip-score'), bar: make('div', 'sl-tooltip-bar') };
      r.row.append(r.word, r.score, r.bar);
      tip.insertBefore(r.row, extras);
      rows.push(r);
    }
    return rows[j];
  }

  return {
    element: tip,
    show(text, p, topK, r, bounds, extra = []) {
      title.textContent = text;
      const words = p.words.slice(0, topK);
      const best = Math.max(1e-9, ...words.map((w) => Math.abs(w.score ?? 0)));
      words.forEach((w, j) => {
        const row = rowAt(j);
        row.row.hidden = false;
        row.word.textContent = w.word;
        row.score.textContent = scoreText(w.score);
        row.bar.style.transform = `scaleX(${Math.max(0, w.score ?? 0) / best})`; // CSSOM, allowed under the CSP
      });
      for (let j = words.length; j < rows.length; j++) rows[j].row.hidden = true;
      extras.textContent = [...(words.length ? [] : ['no word']), ...extra].join('\n');
      extras.hidden = extras.textContent === '';
      tip.hidden = false;
      const left = Math.min(Math.max(0, r.x + r.width + 6), Math.max(0, bounds.width - size.width));
      const top = r.y + r.height + 6 + size.height > bounds.height ? Math.max(0, r.y - size.height - 6) : r.y + r.height + 6;
      tip.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
      cancelAnimationFrame(measure);
      measure = requestAnimationFrame(() => {
        size = { width: tip.offsetWidth || size.width, height: tip.offsetHeight || size.height };
      });
    },
    hide() {
      tip.hidden = true;
    },
  };
}
