// The Explain Visual Tokens view (panel and custom editor): adapter switcher, top-k, heatmap toggle,
// exports, and the token-map overlay. It draws only what the host sends, after announcing `ready`.

import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { createTokenMapOverlay } from '../overlay/tokenMapOverlay';
import { tokenSummary } from '../../src/shared/viewChoices';
import { createHostBridge } from '../shared/hostBridge';
import { adoptPageStyles } from '../shared/pageStyles';
import { createViewChrome, addExportButtons } from '../shared/viewChrome';
import { el, field, fillSelect } from '../shared/dom';
import { MAX_TOP_K, type ExplainPayload, type ToWebview } from '../../src/shared/webviewProtocol';

type SelectEl = HTMLElement & { value: string };
type CheckboxEl = HTMLElement & { checked: boolean };

adoptPageStyles();
const bridge = createHostBridge(onMessage);
const chrome = createViewChrome(bridge);
const initial = readInitialState();
bridge.setState(initial);

const adapterSel = el('vscode-single-select') as SelectEl;
adapterSel.id = 'adapter';
const topK = el('vscode-textfield') as HTMLElement & { value: string };
topK.id = 'topk';
topK.setAttribute('type', 'number');
topK.setAttribute('min', '1');
topK.setAttribute('max', String(MAX_TOP_K));
topK.value = String(bridge.getState().topK ?? 5);
const heat = el('vscode-checkbox', undefined, 'Heatmap (top-1 score)') as CheckboxEl;
heat.id = 'heatmap';
heat.checked = bridge.getState().heatmap ?? false;
chrome.toolbar.append(field('Adapter', adapterSel), field('Top-k', topK), heat);

const overlay = createTokenMapOverlay(chrome.content, { topK: Number(topK.value) || 5, heatmap: heat.checked ? 'score' : null });
addExportButtons(chrome.toolbar, bridge, chrome, () => overlay.exportPng());

let current: ExplainPayload | undefined;

adapterSel.addEventListener('change', () => {
  if (!current || adapterSel.value === current.adapter) return;
  bridge.setState({ adapter: adapterSel.value });
  bridge.send({ kind: 'setAdapter', adapter: adapterSel.value });
});
topK.addEventListener('change', () => {
  const k = Math.round(Number(topK.value));
  if (!Number.isInteger(k) || k < 1 || k > MAX_TOP_K) {
    chrome.setStatus(`Top-k must be a whole number from 1 to ${MAX_TOP_K}.`);
    return;
  }
  bridge.setState({ topK: k });
  overlay.setTopK(k);
  if (current && k > current.topK) bridge.send({ kind: 'setTopK', topK: k });
});
heat.addEventListener('change', () => {
  bridge.setState({ heatmap: heat.checked });
  overlay.setHeatmap(heat.checked ? 'score' : null);
});
// The status line follows the highlight both ways: set by a click, cleared by a second click or Escape.
overlay.onHighlight((h) => chrome.setStatus(h?.mode === 'top1'
  ? `Highlighted: patches whose top word is “${h.word}” (${h.count}; click again or press Escape to clear)`
  : ''));

function onMessage(msg: ToWebview): void {
  switch (msg.kind) {
    case 'loading':
      chrome.showLoading(msg.message);
      break;
    case 'error':
      chrome.showError(msg.message, msg.fix, true);
      break;
    case 'explain':
      show(msg.payload);
      break;
    case 'viewCommand':
      // The editor title bar's actions act exactly as this page's own controls do.
      if (msg.command === 'toggleHeatmap') {
        heat.checked = !heat.checked;
        heat.dispatchEvent(new Event('change'));
      } else {
        document.getElementById(`export-${msg.format}`)?.click();
      }
      break;
    default:
      break;
  }
}

function show(p: ExplainPayload): void {
  current = p;
  chrome.clearMessages();
  fillSelect(adapterSel, p.adapters, p.adapter);
  topK.value = String(p.topK);
  bridge.setState({ adapter: p.adapter, topK: p.topK });
  overlay.setTopK(p.topK);
  overlay.update(p.tokenMap, p.imageUrl);
  overlay.ready.catch((e: Error) => chrome.showError(e.message));
  const tm = p.tokenMap;
  const timing = tm.timings.total !== undefined ? ` · ${Math.round(tm.timings.total)} ms` : '';
  chrome.meta.replaceChildren(el('div', undefined, `${tm.pack} · ${tm.adapter} · ${tm.device} · ${tokenSummary(tm)}${timing}`));
  if (tm.notes?.length) {
    const ul = el('ul', 'sl-notes');
    for (const n of tm.notes) ul.append(el('li', undefined, n));
    chrome.meta.append(ul);
  }
}

function readInitialState() {
  const app = document.getElementById('sealens-app');
  const saved = bridge.getState();
  let fromHost: Record<string, unknown> = {};
  try {
    fromHost = JSON.parse(app?.dataset.state ?? '{}');
  } catch {
    // the host writes this attribute; a parse failure leaves the saved state in charge
  }
  return { ...saved, view: 'explain' as const, image: String(fromHost.image ?? saved.image ?? '') };
}

bridge.send({ kind: 'ready' });
