// Compare Adapters: the same image decoded through two adapters of one pack, side by side, the patches
// whose top word changed outlined on both, a difference map, and the agreement (share of unchanged
// patches). Clicking a word highlights it on both sides.

import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { createTokenMapOverlay } from '../overlay/tokenMapOverlay';
import { createHostBridge } from '../shared/hostBridge';
import { adoptPageStyles } from '../shared/pageStyles';
import { createViewChrome, addExportButtons } from '../shared/viewChrome';
import { el, field, fillSelect } from '../shared/dom';
import type { ComparePayload, ToWebview } from '../../src/shared/webviewProtocol';

type SelectEl = HTMLElement & { value: string };

adoptPageStyles();
const bridge = createHostBridge(onMessage);
const chrome = createViewChrome(bridge);
{
  const app = document.getElementById('sealens-app');
  let image = bridge.getState().image ?? '';
  try {
    image = String(JSON.parse(app?.dataset.state ?? '{}').image ?? image);
  } catch {
    // keep the saved state
  }
  bridge.setState({ view: 'compare', image });
}

const selA = el('vscode-single-select') as SelectEl;
selA.id = 'adapter-a';
const selB = el('vscode-single-select') as SelectEl;
selB.id = 'adapter-b';
const agreement = el('div', 'sl-agreement');
agreement.id = 'agreement';
chrome.toolbar.append(field('A', selA), field('B', selB), agreement);

const pair = el('div', 'sl-pair');
const colA = el('div');
const colB = el('div');
const colD = el('div');
const titleA = el('h3');
const titleB = el('h3');
const titleD = el('h3', undefined, 'Difference: patches whose top word changed');
const hostA = el('div');
const hostB = el('div');
const hostD = el('div');
colA.append(titleA, hostA);
colB.append(titleB, hostB);
colD.append(titleD, hostD);
pair.append(colA, colB, colD);
chrome.content.append(pair);

const a = createTokenMapOverlay(hostA, { ariaLabel: 'Adapter A: nearest words per patch' });
const b = createTokenMapOverlay(hostB, { ariaLabel: 'Adapter B: nearest words per patch' });
const diff = createTokenMapOverlay(hostD, { ariaLabel: 'Difference map: 1 where the top word changed' });
for (const o of [a, b]) o.onWordClick(() => {
  const w = o.highlighted;
  a.highlightWord(w);
  b.highlightWord(w);
});
addExportButtons(chrome.toolbar, bridge, chrome, () => diff.exportPng());

let current: ComparePayload | undefined;
const onSel = (): void => {
  if (!current || (selA.value === current.adapterA && selB.value === current.adapterB)) return;
  bridge.setState({ adapter: selA.value, adapterB: selB.value });
  bridge.send({ kind: 'setCompareAdapters', adapterA: selA.value, adapterB: selB.value });
};
selA.addEventListener('change', onSel);
selB.addEventListener('change', onSel);

function onMessage(msg: ToWebview): void {
  if (msg.kind === 'loading') chrome.showLoading(msg.message);
  else if (msg.kind === 'error') chrome.showError(msg.message, msg.fix);
  else if (msg.kind === 'compare') show(msg.payload);
}

function show(p: ComparePayload): void {
  current = p;
  chrome.clearMessages();
  fillSelect(selA, p.adapters, p.adapterA);
  fillSelect(selB, p.adapters, p.adapterB);
  bridge.setState({ adapter: p.adapterA, adapterB: p.adapterB });
  const { a: tmA, b: tmB, changed } = p.result;
  titleA.textContent = `A: ${tmA.adapter}`;
  titleB.textContent = `B: ${tmB.adapter}`;
  const nChanged = changed.filter(Boolean).length;
  agreement.textContent = `Agreement ${(p.result.agreement * 100).toFixed(1)}% · ${nChanged} of ${changed.length} patches changed`;
  a.update(tmA, p.imageUrl);
  b.update(tmB, p.imageUrl);
  a.setMarked(changed);
  b.setMarked(changed);
  diff.update(tmB, p.imageUrl);
  diff.setMarked(changed);
  diff.setHeatmap({ grid: tmB.grid, values: changed.map((c) => (c ? 1 : 0)), label: 'top word changed (0 = same, 1 = changed)' }, { min: 0, max: 1 });
  for (const o of [a, b, diff]) o.ready.catch((e: Error) => chrome.showError(e.message));
  chrome.meta.textContent = `${tmA.pack} · ${tmA.device} · ${tmA.grid.rows}×${tmA.grid.cols} patches`;
}

bridge.send({ kind: 'ready' });
