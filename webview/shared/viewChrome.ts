// The parts every SEA Lens view shares: a toolbar, a status line (loading), an error box with the fix
// and a Retry button, and export buttons that route through the host's save dialog.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import { el, button } from './dom';
import type { HostBridge } from './hostBridge';
import type { ExportFormat } from '../../src/shared/webviewProtocol';

export interface ViewChrome {
  toolbar: HTMLElement;
  content: HTMLElement;
  meta: HTMLElement;
  showLoading(message: string): void;
  /** `failed`: the host's request failed, so the result shown is stale: hidden until the next one. */
  showError(message: string, fix?: string, failed?: boolean): void;
  clearMessages(): void;
  setStatus(message: string): void;
}

export function createViewChrome(bridge: HostBridge): ViewChrome {
  // Controls stay hidden until the first result: an empty adapter list or an export of nothing is noise.
  const toolbar = el('div', 'sl-toolbar sl-empty');
  toolbar.setAttribute('role', 'toolbar');
  const status = el('div', 'sl-status');
  status.id = 'status';
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  const error = el('div', 'sl-error');
  error.id = 'error';
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const content = el('div', 'sl-content');
  content.id = 'content';
  const meta = el('div', 'sl-meta');
  meta.id = 'meta';
  document.body.append(toolbar, status, error, content, meta);

  return {
    toolbar,
    content,
    meta,
    showLoading(message) {
      status.hidden = false;
      status.textContent = message;
      error.hidden = true;
    },
    showError(message, fix, failed = false) {
      status.hidden = true;
      if (failed) {
        content.hidden = true;
        meta.hidden = true;
      }
      error.replaceChildren(el('div', 'sl-error-message', message));
      if (fix) error.append(el('div', 'sl-error-fix', fix));
      const retry = button('retry', 'Retry');
      retry.addEventListener('click', () => bridge.send({ kind: 'retry' }));
      error.append(retry);
      error.hidden = false;
    },
    // The status line keeps its height when empty, so that a message appearing does not push the image down.
    clearMessages() {
      toolbar.classList.remove('sl-empty');
      content.hidden = false;
      meta.hidden = false;
      status.hidden = false;
      status.textContent = '';
      error.hidden = true;
    },
    setStatus(message) {
      status.hidden = false;
      status.textContent = message;
    },
  };
}

/** Adds PNG/JSON/CSV export buttons; PNG bytes come from `png()`, the host writes JSON and CSV itself. */
export function addExportButtons(toolbar: HTMLElement, bridge: HostBridge, chrome: ViewChrome, png: () => Promise<Blob>): void {
  const group = el('div', 'sl-exports');
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', 'Export');
  toolbar.append(group);
  const formats: [ExportFormat, string][] = [['png', 'Export PNG'], ['json', 'Export JSON'], ['csv', 'Export CSV']];
  for (const [format, label] of formats) {
    const b = button(`export-${format}`, label);
    b.addEventListener('click', async () => {
      try {
        const res = format === 'png'
          ? await bridge.exportFile({ kind: 'export', format, data: await (await png()).arrayBuffer() })
          : await bridge.exportFile({ kind: 'export', format });
        if (!res.ok && res.message) chrome.setStatus(res.message);
        else if (res.ok && res.message) chrome.setStatus(res.message);
      } catch (e) {
        chrome.showError((e as Error).message);
      }
    });
    group.append(b);
  }
}
