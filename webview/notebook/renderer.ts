// The SEA Lens notebook renderer (VS Code notebooks, Jupyter front ends that load VS Code renderers, and
// the HTML report of `sea-lens notebook run --html`). Each output gets its own shadow root, so the
// overlay's styles cannot leak into the notebook; views are kept by output id and disposed when VS Code
// drops the output (d3 listeners and object URLs would leak otherwise).

import type { ActivationFunction, OutputItem } from 'vscode-notebook-renderer';
import { TOKENMAP_MIME } from '../../src/shared/tokenMap';
import { COMPARE_MIME, LABELS_MIME, METRICS_MIME, NEIGHBORS_MIME, WORDS_NEAR_MIME } from '../../src/shared/notebookFormat';
import { renderCompare, renderLabels, renderTokenMap, renderWordsNear, type View } from './overlayViews';
import { renderMetrics, renderNeighbors } from './tableViews';
import { RENDERER_CSS } from './rendererStyles';
import { checkOutputSize } from './validatePayload';

const RENDERERS: Record<string, (data: unknown, host: HTMLElement) => View> = {
  [TOKENMAP_MIME]: renderTokenMap,
  [COMPARE_MIME]: renderCompare,
  [LABELS_MIME]: renderLabels,
  [WORDS_NEAR_MIME]: renderWordsNear,
  [NEIGHBORS_MIME]: renderNeighbors,
  [METRICS_MIME]: renderMetrics,
};

export const activate: ActivationFunction = () => {
  const views = new Map<string, View>();
  const disposeView = (id: string) => {
    views.get(id)?.dispose();
    views.delete(id);
  };
  return {
    renderOutputItem(item: OutputItem, element: HTMLElement) {
      disposeView(item.id);
      const shadow = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = RENDERER_CSS;
      const root = document.createElement('div');
      root.className = 'sln-root';
      shadow.replaceChildren(style, root);
      try {
        const render = RENDERERS[item.mime];
        if (!render) throw new Error(`SEA Lens cannot draw ${item.mime}.`);
        views.set(item.id, render(checkOutputSize(item.mime, item.json()), root));
      } catch (err) {
        showError(root, item.mime, err);
      }
    },
    disposeOutputItem(id?: string) {
      if (id !== undefined) disposeView(id);
      else for (const key of [...views.keys()]) disposeView(key);
    },
  };
};

/** The error overlay: what is wrong with this output, in place of the drawing. */
function showError(root: HTMLElement, mime: string, err: unknown): void {
  const box = document.createElement('div');
  box.className = 'sln-error';
  box.setAttribute('role', 'alert');
  const title = document.createElement('strong');
  title.textContent = `SEA Lens could not draw this output (${mime})`;
  const msg = document.createElement('div');
  msg.textContent = err instanceof Error ? err.message : String(err);
  box.append(title, msg);
  root.replaceChildren(box);
}
