// Run view page: live charts (d3) of total loss, L_g, L_a, τ, learning rate and validation label
// agreement, status (images/s first) and buttons, and the before/after tables with Δ and which way is
// better. Every host message is validated before use.

import * as d3 from 'd3';
import { parseToRunView, type ProgressEvent, type RunViewState, type FromRunView } from '../../src/shared/trainingProtocol';
import { evaluationRows, formatDelta, formatValue, perClassRows, type EvaluationRow } from './evaluationRows';

declare function acquireVsCodeApi(): { postMessage(m: FromRunView): void };
const api = acquireVsCodeApi();
const app = document.getElementById('sealens-training')!;
let state: RunViewState | undefined;

const SERIES: { title: string; pick: (e: ProgressEvent) => [number, number] | undefined }[] = [
  { title: 'loss (L_g + λ·L_a)', pick: (e) => (e.event === 'step' ? [e.step, e.loss] : undefined) },
  { title: 'L_g (caption)', pick: (e) => (e.event === 'step' ? [e.step, e.lossG] : undefined) },
  { title: 'L_a (alignment)', pick: (e) => (e.event === 'step' ? [e.step, e.lossA] : undefined) },
  { title: 'τ', pick: (e) => (e.event === 'step' ? [e.step, e.tau] : undefined) },
  { title: 'learning rate', pick: (e) => (e.event === 'step' ? [e.step, e.lr] : undefined) },
  { title: 'label agreement (validation)', pick: (e) => (e.event === 'validation' && e.agreement !== null ? [e.step, e.agreement] : undefined) },
];

function chart(title: string, pts: [number, number][]): HTMLElement {
  const W = 300, H = 150, m = { t: 20, r: 10, b: 22, l: 48 };
  const div = document.createElement('div');
  div.className = 'chart';
  const svg = d3.select(div).append('svg').attr('width', W).attr('height', H).attr('role', 'img').attr('aria-label', title);
  svg.append('text').attr('x', m.l).attr('y', 13).text(title).attr('fill', 'var(--vscode-foreground)').attr('font-size', 12);
  if (!pts.length) return div;
  const x = d3.scaleLinear().domain(d3.extent(pts, (p) => p[0]) as [number, number]).range([m.l, W - m.r]);
  const y = d3.scaleLinear().domain(d3.extent(pts, (p) => p[1]) as [number, number]).nice().range([H - m.b, m.t]);
  svg.append('g').attr('transform', `translate(0,${H - m.b})`).call(d3.axisBottom(x).ticks(4));
  svg.append('g').attr('transform', `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(4, '~g'));
  svg.append('path').datum(pts).attr('fill', 'none').attr('stroke', 'var(--vscode-charts-blue)').attr('stroke-width', 1.5)
    .attr('d', d3.line<[number, number]>().x((p) => x(p[0])).y((p) => y(p[1])));
  return div;
}

function lastStepByStep(events: ProgressEvent[]): ProgressEvent[] {
  // a resumed run repeats the steps after its checkpoint: keep the last value of each step
  const seen = new Map<string, ProgressEvent>();
  for (const e of events) seen.set(e.event === 'step' || e.event === 'validation' ? `${e.event}:${e.step}` : `${seen.size}:${e.event}`, e);
  return [...seen.values()];
}

function button(label: string, kind: FromRunView['kind']): HTMLButtonElement {
  const b = document.createElement('button');
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

function render(): void {
  if (!state) return;
  const events = lastStepByStep(state.events);
  const steps = events.filter((e): e is Extract<ProgressEvent, { event: 'step' }> => e.event === 'step');
  const last = steps[steps.length - 1];
  app.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = `${state.runId} — ${state.status}`;
  const p = document.createElement('p');
  p.className = 'status';
  // images/s is the throughput; pairs/s is capped by SEA's de-duplication whatever the batch
  p.textContent = last ? `step ${last.step}/${last.totalSteps} (${Math.round((100 * last.step) / last.totalSteps)} %) · ${last.imagesPerSecond} images/s · ${last.pairsPerSecond} patch–label pairs/s · ${last.elapsedSeconds.toFixed(1)} s` : state.status === 'failed' ? 'failed (see the error below)' : 'waiting for the trainer…';
  const bar = document.createElement('div');
  if (state.status === 'running') bar.append(button('Cancel', 'cancel'));
  if (state.status === 'cancelled' || state.status === 'interrupted' || state.status === 'failed') bar.append(button('Resume', 'resume'));
  if (state.status === 'finished') bar.append(button('Compare before/after', 'compare'));
  bar.append(button('Show log', 'showLog'));
  const grid = document.createElement('div');
  grid.className = 'charts';
  for (const s of SERIES) grid.append(chart(s.title, events.map(s.pick).filter((x): x is [number, number] => !!x)));
  app.append(h, p, bar, grid);
  const ev = [...events].reverse().find((e) => e.event === 'evaluation');
  if (ev && ev.event === 'evaluation') {
    app.append(evaluationTable(`before (${(ev as { startAdapter?: string }).startAdapter ?? 'start adapter'}) / after, on ${ev.evaluatedOn}`, evaluationRows(ev.before, ev.after)));
    const classes = perClassRows(ev.before, ev.after);
    if (classes.length) app.append(evaluationTable('accuracy per true word', classes, true));
  }
  for (const e of events) if (e.event === 'warning' || e.event === 'error') {
    const w = document.createElement('p');
    w.className = e.event;
    w.textContent = `${e.event}: ${e.message}`;
    app.append(w);
  }
}

window.addEventListener('message', (ev: MessageEvent) => {
  try {
    const m = parseToRunView(ev.data);
    if (m.kind === 'state') state = m.state;
    else if (state && m.runId === state.runId) state = { ...state, status: m.status, events: [...state.events, ...m.events] };
    render();
  } catch {
    // a malformed host message is ignored, never acted on
  }
});
api.postMessage({ kind: 'ready' });
