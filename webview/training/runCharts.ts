// The run view's charts (d3 + SVG): one full-width chart per scalar on a shared step axis, epoch starts as
// faint lines, resumes as orange dashed lines, validation points as green marks on the step axis, the raw
// line faint behind its smoothed line, and one crosshair that follows the pointer (or the arrow keys) across
// every chart with the step and each chart's value in its header.

import * as d3 from 'd3';
import { emaSmooth } from './emaSmooth';
import type { EpochTick } from './epochTicks';
import { nearestIndex } from './nearestStep';
import type { ResumeMarker } from './runMarkers';
import { formatScalar, type ScalarSeries } from './scalarSeries';

export interface ChartContext {
  /** Right end of the shared step axis. */
  xMax: number;
  epochs: EpochTick[];
  resumes: ResumeMarker[];
  validations: number[];
  smoothing: number;
  /** Sorted steps the crosshair snaps to (those of the step events). */
  snapSteps: number[];
  epochOf(step: number): number | undefined;
}

export interface ChartsHandle {
  setHover(step: number | undefined): void;
}

const H = 180;
const M = { t: 16, r: 14, b: 36, l: 66 };

interface Drawn {
  series: ScalarSeries;
  smooth: number[];
  readout: HTMLElement;
  svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  y: d3.ScaleLinear<number, number>;
}

export function drawCharts(container: HTMLElement, all: ScalarSeries[], ctx: ChartContext, width: number, onHover: (step: number | undefined) => void): ChartsHandle {
  const W = Math.max(320, Math.floor(width));
  const x = d3.scaleLinear().domain([0, Math.max(1, ctx.xMax)]).range([M.l, W - M.r]);
  const drawn: Drawn[] = [];
  for (const s of all) {
    const div = document.createElement('div');
    div.className = 'chart';
    div.dataset.series = s.id;
    const head = document.createElement('div');
    head.className = 'chart-head';
    const title = Object.assign(document.createElement('span'), { className: 'chart-title', textContent: s.title });
    const readout = Object.assign(document.createElement('span'), { className: 'chart-readout' });
    head.append(title, readout);
    div.append(head);
    container.append(div);
    const smooth = s.id === 'agreement' ? s.values : emaSmooth(s.values, ctx.smoothing);
    const svg = d3.select(div).append('svg').attr('viewBox', `0 0 ${W} ${H}`).attr('height', H)
      .attr('role', 'img').attr('aria-label', `${s.title} by step`).attr('tabindex', 0);
    const ext = d3.extent(s.values.filter(Number.isFinite)) as [number, number];
    const [lo, hi] = ext[0] === undefined ? [0, 1] : ext[0] === ext[1] ? [ext[0] - (Math.abs(ext[0]) || 1) * 0.05, ext[1] + (Math.abs(ext[1]) || 1) * 0.05] : ext;
    const y = d3.scaleLinear().domain([lo, hi]).nice().range([H - M.b, M.t]);
    drawFrame(svg, x, y, s, ctx, W);
    const line = d3.line<number>().defined((v) => Number.isFinite(v)).x((_, i) => x(s.steps[i])).y((v) => y(v));
    // the raw line is only worth showing behind a smoothed one; validation scores are few and not smoothed
    if (ctx.smoothing > 0 && s.id !== 'agreement') svg.append('path').attr('class', 'raw').attr('d', line(s.values));
    svg.append('path').attr('class', 'smooth').attr('d', line(smooth));
    if (s.steps.length < 40) svg.append('g').selectAll('circle').data(s.steps).join('circle').attr('class', 'point')
      .attr('cx', (st) => x(st)).attr('cy', (_, i) => y(smooth[i])).attr('r', 2.5);
    svg.append('line').attr('class', 'crosshair').attr('y1', M.t).attr('y2', H - M.b).attr('visibility', 'hidden');
    svg.append('circle').attr('class', 'crosshair-dot').attr('r', 4).attr('visibility', 'hidden');
    // pointer and keys: both move the one shared crosshair
    svg.on('pointermove', (ev: PointerEvent) => {
      const [px] = d3.pointer(ev, svg.node());
      const i = nearestIndex(ctx.snapSteps, x.invert(px));
      onHover(i < 0 ? undefined : ctx.snapSteps[i]);
    });
    // a live update replaces the charts under a still pointer: a leave from a removed chart is not the user's
    svg.on('pointerleave', () => {
      if (svg.node()?.isConnected) onHover(undefined);
    });
    svg.on('keydown', (ev: KeyboardEvent) => {
      const steps = ctx.snapSteps;
      if (!steps.length) return;
      const cur = Number(svg.attr('data-hover'));
      const i = Number.isFinite(cur) && svg.attr('data-hover') !== null ? nearestIndex(steps, cur) : steps.length - 1;
      const page = Math.max(1, Math.round(steps.length / 20));
      const to = ev.key === 'ArrowLeft' ? i - 1 : ev.key === 'ArrowRight' ? i + 1 : ev.key === 'PageDown' ? i - page : ev.key === 'PageUp' ? i + page : ev.key === 'Home' ? 0 : ev.key === 'End' ? steps.length - 1 : ev.key === 'Escape' ? -2 : undefined;
      if (to === undefined) return;
      ev.preventDefault();
      onHover(to === -2 ? undefined : steps[Math.min(steps.length - 1, Math.max(0, to))]);
    });
    drawn.push({ series: s, smooth, readout, svg, y });
  }

  const setHover = (step: number | undefined) => {
    for (const d of drawn) {
      const cross = d.svg.select('.crosshair');
      const dot = d.svg.select('.crosshair-dot');
      if (step === undefined) d.svg.attr('data-hover', null);
      else d.svg.attr('data-hover', step);
      const i = nearestIndex(d.series.steps, step ?? Infinity);
      const at = step === undefined ? d.series.steps.length - 1 : i;
      if (at < 0) {
        d.readout.textContent = '';
        continue;
      }
      const st = d.series.steps[at];
      const epoch = ctx.epochOf(st);
      const raw = d.series.values[at];
      const sm = d.smooth[at];
      const value = sm === raw ? formatScalar(sm, d.series.percent) : `${formatScalar(sm, d.series.percent)} (raw ${formatScalar(raw, d.series.percent)})`;
      d.readout.textContent = `${step === undefined ? 'last: ' : ''}step ${st}${epoch ? ` · epoch ${epoch}` : ''} · ${value}`;
      const vis = step === undefined ? 'hidden' : 'visible';
      cross.attr('x1', x(step ?? 0)).attr('x2', x(step ?? 0)).attr('visibility', vis);
      dot.attr('cx', x(st)).attr('cy', d.y(Number.isFinite(sm) ? sm : 0)).attr('visibility', vis);
    }
  };
  setHover(undefined);
  return { setHover };
}

function drawFrame(svg: d3.Selection<SVGSVGElement, unknown, null, undefined>, x: d3.ScaleLinear<number, number>, y: d3.ScaleLinear<number, number>, s: ScalarSeries, ctx: ChartContext, W: number): void {
  const epochs = svg.append('g').attr('class', 'epochs');
  for (const t of ctx.epochs) {
    epochs.append('line').attr('class', 'epoch-line').attr('x1', x(t.step)).attr('x2', x(t.step)).attr('y1', M.t).attr('y2', H - M.b);
    epochs.append('text').attr('class', 'epoch-label').attr('x', x(t.step) + 3).attr('y', M.t - 4).text(`epoch ${t.epoch}`);
  }
  // steps are whole numbers: a two-step run gets ticks 0, 1, 2, not 0.2, 0.4, …
  const xAxis = d3.axisBottom(x).tickValues(x.ticks(Math.max(2, Math.floor(W / 90))).filter(Number.isInteger)).tickFormat(d3.format('~s'));
  svg.append('g').attr('transform', `translate(0,${H - M.b})`).call(xAxis);
  svg.append('text').attr('class', 'axis-label').attr('x', W - M.r).attr('y', H - 4).attr('text-anchor', 'end').text('step');
  const yAxis = d3.axisLeft(y).ticks(5, s.percent ? '.0%' : '~g');
  svg.append('g').attr('transform', `translate(${M.l},0)`).call(yAxis);
  svg.append('text').attr('class', 'axis-label').attr('transform', `translate(12,${(M.t + H - M.b) / 2}) rotate(-90)`).attr('text-anchor', 'middle').text(s.axis);
  for (const r of ctx.resumes) {
    svg.append('line').attr('class', 'resume-line').attr('x1', x(r.step)).attr('x2', x(r.step)).attr('y1', M.t).attr('y2', H - M.b)
      .append('title').text(`resumed from the checkpoint at step ${r.step}${r.redone ? ` (${r.redone} steps trained again)` : ''}`);
    svg.append('text').attr('class', 'resume-label').attr('x', x(r.step) - 3).attr('y', M.t + 10).attr('text-anchor', 'end').text(`resumed @ ${r.step}`);
  }
  svg.append('g').selectAll('path').data(ctx.validations).join('path').attr('class', 'validation-mark')
    .attr('d', (st) => `M${x(st)},${H - M.b - 1} l-4,-7 h8 z`).append('title').text((st) => `validation at step ${st}`);
}
