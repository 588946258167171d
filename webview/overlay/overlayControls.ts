// The overlay's own toolbar: the view switcher (multi-view maps), the word search with its count, and the
// zoom buttons. Plain elements styled with theme variables, so that the notebook renderer (which loads no
// component library) shows the same controls as the panels.

import type { ViewChoice } from '../../src/shared/viewChoices';

export interface OverlayControls {
  readonly element: HTMLElement;
  setChoices(choices: ViewChoice[], selected: string): void;
  setSearchSummary(text: string): void;
  clearSearch(): void;
}

export interface ControlEvents {
  onView(id: string): void;
  onSearch(query: string): void;
  onZoom(action: 'in' | 'out' | 'fit'): void;
}

let seq = 0;

export function createOverlayControls(ev: ControlEvents): OverlayControls {
  const id = `sl-${++seq}`;
  const bar = document.createElement('div');
  bar.className = 'sl-controls';

  const viewWrap = document.createElement('label');
  viewWrap.className = 'sl-view-field';
  viewWrap.textContent = 'View ';
  const view = document.createElement('select');
  view.className = 'sl-view-select';
  view.addEventListener('change', () => ev.onView(view.value));
  viewWrap.append(view);

  const search = document.createElement('input');
  search.type = 'search';
  search.className = 'sl-search';
  search.placeholder = 'Find a word in the top-k…';
  search.setAttribute('aria-label', 'Find tokens whose top-k words contain a word');
  search.id = `${id}-search`;
  const count = document.createElement('span');
  count.className = 'sl-search-count';
  count.setAttribute('role', 'status');
  count.setAttribute('aria-live', 'polite');
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => ev.onSearch(search.value), 120); // one search per pause in typing
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(timer);
      ev.onSearch(search.value);
    }
  });

  const zoom = document.createElement('span');
  zoom.className = 'sl-zoom';
  zoom.setAttribute('role', 'group');
  zoom.setAttribute('aria-label', 'Zoom');
  for (const [action, text, title] of [['out', '−', 'Zoom out (-)'], ['in', '+', 'Zoom in (+)'], ['fit', 'Fit', 'Fit the view (0)']] as const) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `sl-zoom-${action}`;
    b.textContent = text;
    b.title = title;
    b.setAttribute('aria-label', title);
    b.addEventListener('click', () => ev.onZoom(action));
    zoom.append(b);
  }
  bar.append(viewWrap, search, count, zoom);

  return {
    element: bar,
    setChoices(choices, selected) {
      view.replaceChildren(...choices.map((c) => new Option(c.label, c.id, false, c.id === selected)));
      view.value = selected;
      viewWrap.hidden = choices.length < 2;
    },
    setSearchSummary(text) {
      count.textContent = text;
    },
    clearSearch() {
      search.value = '';
      count.textContent = '';
    },
  };
}
