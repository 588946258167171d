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
import { sameGeometry } from '../../src/shared/tokenMap';
import { tokenSummary } from '../../src/shared/viewChoices';
import { onThemeChange } from '../shared/themeWatch';

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
const titleD = el('h3', undefined, 'Difference: tokens whose top word changed');
const hostA = el('div');
const hostB = el('div');
const hostD = el('div');
colA.append(titleA, hostA);
colB.append(titleB, hostB);
colD.append(titleD, hostD);
pair.append(colA, colB, colD);
chrome.content.append(pair);

// Linked panes: the token under the pointer (or keyboard focus) in one pane is outlined in the other, and
// both tooltips name the other adapter's word for it.
const otherWord = (side: 'a' | 'b') => (i: number): string[] => {
  const r = current?.result;
  const tm = side === 'a' ? r?.b : r?.a;
  const w = tm?.patches[i]?.words[0];
  return tm && w ? [`${side === 'a' ? 'B' : 'A'} (${tm.adapter}): ${w.word} ${w.score.toFixed(3)}${r?.changed[i] ? ' — changed' : ''}`] : [];
};
const a = createTokenMapOverlay(hostA, { ariaLabel: 'Adapter A: nearest words per patch', tooltipExtra: otherWord('a') });
const b = createTokenMapOverlay(hostB, { ariaLabel: 'Adapter B: nearest words per patch', tooltipExtra: otherWord('b') });
const diff = createTokenMapOverlay(hostD, { ariaLabel: 'Difference map: tokens whose top word changed', tooltipExtra: otherWord('b') });
const linkedStatus = el('div', 'sl-linked-status');
linkedStatus.id = 'linked';
chrome.content.append(linkedStatus);
const panes = [a, b, diff];
panes.forEach((o, k) => o.onHover((i) => {
  panes.forEach((x, j) => j !== k && x.setLinked(i));
  const r = current?.result;
  if (i === undefined || !r) return void (linkedStatus.textContent = '');
  const wa = r.a.patches[i]?.words[0]?.word ?? '—';
  const wb = r.b.patches[i]?.words[0]?.word ?? '—';
  linkedStatus.textContent = `token ${i + 1}: A “${wa}” ${r.changed[i] ? '→' : '='} B “${wb}”`;
}));
// The panes show the same view: picking "tile 1, 2" in one shows it in all three.
panes.forEach((o, k) => o.onViewChange((id) => panes.forEach((x, j) => j !== k && x.setView(id))));
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
  else if (msg.kind === 'error') {
    agreement.textContent = '';   // it belonged to the result the failed request replaces
    chrome.showError(msg.message, msg.fix, true);
  }
  else if (msg.kind === 'compare') show(msg.payload);
}

/** Two theme colours for the categorical map (canvas needs real colours, not CSS variables). */
function categoryColours(): [string, string] {
  const cs = getComputedStyle(document.body);
  return [cs.getPropertyValue('--vscode-charts-blue').trim() || '#3794ff', cs.getPropertyValue('--vscode-charts-orange').trim() || '#d18616'];
}

// The difference map's two colours are read from the theme: read them again when it changes.
onThemeChange(() => current && setDiffCategories(current));

function setDiffCategories(p: ComparePayload): void {
  const { a: tmA, b: tmB, changed } = p.result;
  diff.setCategories({ values: changed.map((c) => (c ? 1 : 0)), names: ['same top word', 'top word changed'], colours: categoryColours(), label: `Top word of B (${tmB.adapter}) against A (${tmA.adapter})` });
}

function show(p: ComparePayload): void {
  const { a: tmA, b: tmB, changed } = p.result;
  if (!sameGeometry(tmA, tmB)) {
    // The host refuses this too; kept so that a payload from elsewhere never draws mismatched tokens.
    chrome.showError(`The two token maps place their tokens differently (${tmA.patches.length} vs ${tmB.patches.length} tokens, ${tmA.views.length} vs ${tmB.views.length} views), so they cannot be compared token by token.`,
      'Compare two adapters of the same model on the same image.', true);
    agreement.textContent = '';
    return;
  }
  current = p;
  chrome.clearMessages();
  fillSelect(selA, p.adapters, p.adapterA);
  fillSelect(selB, p.adapters, p.adapterB);
  bridge.setState({ adapter: p.adapterA, adapterB: p.adapterB });
  titleA.textContent = `A: ${tmA.adapter}`;
  titleB.textContent = `B: ${tmB.adapter}`;
  const nChanged = changed.filter(Boolean).length;
  agreement.textContent = `Agreement ${(p.result.agreement * 100).toFixed(1)}% · ${nChanged} of ${changed.length} tokens changed`;
  a.update(tmA, p.imageUrl);
  b.update(tmB, p.imageUrl);
  a.setMarked(changed);
  b.setMarked(changed);
  diff.update(tmB, p.imageUrl);
  setDiffCategories(p);
  for (const o of panes) o.ready.catch((e: Error) => chrome.showError(e.message));
  chrome.meta.textContent = `${tmA.pack} · ${tmA.device} · ${tokenSummary(tmA)}`;
}

bridge.send({ kind: 'ready' });
