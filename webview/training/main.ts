// Run view page: one full-width chart per scalar the trainer reports (total loss, L_g, L_a, τ, logit scale,
// learning rate, validation label agreement) on a step axis with epoch starts, resume and validation
// markers, TensorBoard-style smoothing (kept in the webview state) and a crosshair across every chart; a
// card with the run's settings; status (images/s first) and buttons; and the before/after tables with Δ
// and which way is better. Every host message is validated before use.

import { parseToRunView, type ProgressEvent, type RunViewState, type FromRunView } from '../../src/shared/trainingProtocol';
import { evaluationRows, formatDelta, formatValue, perClassRows, type EvaluationRow } from './evaluationRows';
import { clampSmoothing, MAX_SMOOTHING } from './emaSmooth';
import { epochTicks, epochTicksFromSteps } from './epochTicks';
import { drawCharts, type ChartsHandle } from './runCharts';
import { resumeMarkers, validationMarkers } from './runMarkers';
import { runSettings } from './runSettings';
import { lastStepEvents, scalarSeries } from './scalarSeries';
import { adoptTrainingStyles } from './trainingStyles';

interface PageState { smoothing: number }
declare function acquireVsCodeApi(): { postMessage(m: FromRunView): void; getState(): unknown; setState(s: PageState): void };
const api = acquireVsCodeApi();
adoptTrainingStyles(document);
const app = document.getElementById('sealens-training')!;
let state: RunViewState | undefined;
let smoothing = clampSmoothing((api.getState() as Partial<PageState> | undefined)?.smoothing);
let hoverStep: number | undefined;
let charts: ChartsHandle | undefined;

// The page's parts are made once and filled on each update, so that a live run does not pull the slider
// from under a drag or the focus from a chart.
const part = <K extends keyof HTMLElementTagNameMap>(tag: K, className = ''): HTMLElementTagNameMap[K] => Object.assign(document.createElement(tag), { className });
const title = part('h2');
const status = part('p', 'status');
const bar = part('div', 'sl-bar');
const buttons = part('span', 'sl-bar');
const slider = Object.assign(part('input'), { type: 'range', id: 'smoothing', min: '0', max: String(MAX_SMOOTHING), step: '0.01', value: String(smoothing) });
const sliderValue = Object.assign(part('output'), { htmlFor: 'smoothing', value: smoothing.toFixed(2) });
const sliderLabel = Object.assign(part('label', 'sl-smoothing'), { title: 'Exponential moving average of the step scalars, as TensorBoard smooths them; the raw line stays faint behind' });
sliderLabel.append('Smoothing', slider, sliderValue);
bar.append(buttons, sliderLabel);
const legend = part('div', 'legend');
legend.setAttribute('aria-hidden', 'true');
legend.append(Object.assign(part('span', 'k-resume'), { textContent: '┆ resumed' }), ' · ', Object.assign(part('span', 'k-validation'), { textContent: '▼ validation' }), ' · ┆ epoch start · ← → on a focused chart move the crosshair');
const layout = part('div', 'sl-layout');
const chartBox = part('div', 'charts');
chartBox.id = 'charts';
const settings = part('section', 'settings');
settings.id = 'settings';
settings.setAttribute('aria-label', 'Run settings');
layout.append(settings, chartBox);
const extra = part('div');
app.append(title, status, bar, legend, layout, extra);

slider.addEventListener('input', () => {
  smoothing = clampSmoothing(Number(slider.value));
  sliderValue.value = smoothing.toFixed(2);
  api.setState({ smoothing });
  renderCharts();
});

function button(label: string, kind: FromRunView['kind'], secondary = false): HTMLButtonElement {
  const b = part('button', secondary ? 'secondary' : '');
  b.textContent = label;
  b.addEventListener('click', () => api.postMessage({ kind } as FromRunView));
  return b;
}

function evaluationTable(caption: string, rows: (EvaluationRow & { patches?: number })[], withPatches = false): HTMLTableElement {
  const t = document.createElement('table');
  t.createCaption().textContent = caption;
  const head = t.createTHead().insertRow();
  for (const c of ['metric', 'before', 'after', 'Δ', ...(withPatches ? ['patches'] : [])]) head.append(Object.assign(document.createElement('th'), { textContent: c }));
  for (const r of rows) {
    const tr = t.insertRow();
    tr.insertCell().textContent = r.name;
    tr.insertCell().textContent = formatValue(r.before, r.percent);
    tr.insertCell().textContent = formatValue(r.after, r.percent);
    const d = tr.insertCell();
    // which way is better, said in words for screen readers and in colour for the eye
    d.textContent = `${formatDelta(r)}${r.improved === null ? '' : r.improved ? ' ✓' : ' ✗'}`;
    d.title = `${r.better} is better`;
    if (r.improved !== null) d.style.color = r.improved ? 'var(--vscode-testing-iconPassed)' : 'var(--vscode-errorForeground)';
    if (withPatches) tr.insertCell().textContent = String(r.patches ?? '');
  }
  return t;
}

function renderCharts(): void {
  if (!state) return;
  const events = state.events;
  const steps = lastStepEvents(events);
  const start = [...events].reverse().find((e): e is Extract<ProgressEvent, { event: 'start' }> => e.event === 'start');
  const series = scalarSeries(events);
  const focused = (document.activeElement?.closest('.chart') as HTMLElement | null)?.dataset.series;
  chartBox.replaceChildren();
  if (!series.length) {
    chartBox.append(Object.assign(part('p', 'chart-empty'), { textContent: 'The charts start with the first training step.' }));
    charts = undefined;
    return;
  }
  const epochOf = new Map(steps.map((e) => [e.step, e.epoch]));
  const lastStep = steps.length ? steps[steps.length - 1].step : 0;
  const width = chartBox.clientWidth || app.clientWidth || 600;
  charts = drawCharts(chartBox, series, {
    xMax: Math.max(lastStep, ...series.map((s) => s.steps[s.steps.length - 1] ?? 0)),
    epochs: start && start.stepsPerEpoch > 0 ? epochTicks(start.stepsPerEpoch, Math.ceil(Math.max(lastStep, 1) / start.stepsPerEpoch)) : epochTicksFromSteps(steps),
    resumes: resumeMarkers(events),
    validations: validationMarkers(events).map((v) => v.step),
    smoothing,
    snapSteps: steps.length ? steps.map((e) => e.step) : series[0].steps,
    epochOf: (st) => epochOf.get(st),
  }, width - 14, (st) => {
    hoverStep = st;
    charts?.setHover(st);
  });
  charts.setHover(hoverStep);
  if (focused) (chartBox.querySelector(`.chart[data-series="${focused}"] svg`) as SVGSVGElement | null)?.focus();
}

function renderSettings(): void {
  if (!state) return;
  const h = Object.assign(part('h3'), { textContent: 'Run settings' });
  const dl = part('dl');
  for (const r of runSettings(state.config, state.events)) {
    const dd = Object.assign(part('dd', r.defaulted ? 'defaulted' : ''), { textContent: r.value });
    const item = part('div');
    item.append(Object.assign(part('dt'), { textContent: r.name }), dd);
    dl.append(item);
  }
  settings.replaceChildren(h, dl);
}

function render(): void {
  if (!state) return;
  const steps = lastStepEvents(state.events);
  const last = steps[steps.length - 1];
  title.textContent = `${state.runId} — ${state.status}`;
  // images/s is the throughput; pairs/s is capped by SEA's de-duplication whatever the batch
  status.textContent = last ? `step ${last.step}/${last.totalSteps} (${Math.round((100 * last.step) / last.totalSteps)} %) · epoch ${last.epoch} · ${last.imagesPerSecond} images/s · ${last.pairsPerSecond} patch–label pairs/s · ${last.elapsedSeconds.toFixed(1)} s` : state.status === 'failed' ? 'failed (see the error below)' : 'waiting for the trainer…';
  const b: HTMLButtonElement[] = [];
  if (state.status === 'running') b.push(button('Cancel', 'cancel'));
  if (state.status === 'cancelled' || state.status === 'interrupted' || state.status === 'failed') b.push(button('Resume', 'resume'));
  if (state.status === 'finished') b.push(button('Compare before/after', 'compare'));
  b.push(button('Show log', 'showLog', true));
  buttons.replaceChildren(...b);
  renderCharts();
  renderSettings();
  extra.replaceChildren();
  const ev = [...state.events].reverse().find((e) => e.event === 'evaluation');
  if (ev && ev.event === 'evaluation') {
    extra.append(evaluationTable(`before (${ev.startAdapter ?? 'start adapter'}) / after, on ${ev.evaluatedOn}`, evaluationRows(ev.before, ev.after)));
    const classes = perClassRows(ev.before, ev.after);
    if (classes.length) extra.append(evaluationTable('accuracy per true word', classes, true));
  }
  for (const e of state.events) if (e.event === 'warning' || e.event === 'error') {
    extra.append(Object.assign(part('p', e.event), { textContent: `${e.event}: ${e.message}` }));
  }
}

// Full-width charts follow the panel's width; redrawn once per frame at most.
let pendingResize = 0;
let pendingRender = 0;
let lastWidth = 0;
new ResizeObserver(() => {
  if (chartBox.clientWidth === lastWidth || pendingResize) return;
  pendingResize = requestAnimationFrame(() => {
    pendingResize = 0;
    lastWidth = chartBox.clientWidth;
    renderCharts();
  });
}).observe(chartBox);

window.addEventListener('message', (ev: MessageEvent) => {
  let m;
  try {
    m = parseToRunView(ev.data);
  } catch {
    return; // a malformed host message is ignored, never acted on
  }
  if (m.kind === 'state') state = m.state;
  else if (state && m.runId === state.runId) state = { ...state, status: m.status, events: [...state.events, ...m.events] };
  // a fast run sends many small batches: draw once per frame
  if (!pendingRender) pendingRender = requestAnimationFrame(() => {
    pendingRender = 0;
    render();
  });
});
api.postMessage({ kind: 'ready' });
