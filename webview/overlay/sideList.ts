// Tokens with no place on the image (LLaVA-NeXT's row-end newline, separators, padding) listed beside it
// with their words; clicking one highlights its top word like clicking a box.

import { patchLabel } from '../../src/shared/overlayLayout';
import type { TokenMap } from '../../src/shared/tokenMap';

const KIND_MARK: Record<string, string> = { newline: '↵', separator: '|', padding: '▢' };

export interface SideList {
  readonly element: HTMLElement;
  render(tm: TokenMap, indices: readonly number[], topK: number, hits: Uint8Array | null): void;
}

export function createSideList(onPick: (index: number) => void): SideList {
  const box = document.createElement('div');
  box.className = 'sl-side';
  box.hidden = true;
  const title = document.createElement('div');
  title.className = 'sl-side-title';
  const list = document.createElement('ol');
  list.className = 'sl-side-list';
  box.append(title, list);
  list.addEventListener('click', (e) => {
    const li = (e.target as Element | null)?.closest?.('li[data-index]');
    if (li) onPick(Number(li.getAttribute('data-index')));
  });
  return {
    element: box,
    render(tm, indices, topK, hits) {
      box.hidden = indices.length === 0;
      title.textContent = `${indices.length} token${indices.length === 1 ? '' : 's'} not on the image`;
      list.replaceChildren(...indices.map((i) => {
        const p = tm.patches[i];
        const li = document.createElement('li');
        li.dataset.index = String(i);
        li.className = hits ? (hits[i] ? 'sl-hit' : 'sl-dim') : '';
        li.title = patchLabel(p, topK, tm.views.length > 1 ? tm.views[p.tile] : undefined);
        const mark = document.createElement('span');
        mark.className = 'sl-side-kind';
        // "↵ tile 1, 2 · row 3": the view's label up to " of …", so that rows of different tiles differ.
        const view = tm.views.length > 1 ? `${tm.views[p.tile]?.label.replace(/ of .*$/, '')} · ` : '';
        mark.textContent = `${KIND_MARK[p.kind] ?? '·'} ${view}${p.row === undefined ? p.kind : `row ${p.row + 1}`}`;
        const words = document.createElement('span');
        words.className = 'sl-side-words';
        words.textContent = p.words.slice(0, Math.min(topK, 3)).map((w) => w.word).join(', ') || '—';
        li.append(mark, words);
        return li;
      }));
    },
  };
}
